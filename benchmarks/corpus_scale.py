"""The whole answer at 100k and 1M chunks: index load, cold `ask`, warm answers, peak RSS.

A synthetic corpus of generated sentences (Zipf-distributed words: a product-management vocabulary first, then
20,000 made-up words) goes through the real chunker, BM25 and FAISS builders; the chunks' vectors are random unit
vectors shaped like sentence embeddings (bot.ann.synthetic_vectors) instead of the model's, so a 1M build takes
minutes, not hours. The index is a real `whodecides index` folder (ONNX query encoder included) for the real
model, so `whodecides ask` and `Answerer.from_settings` open it as they open any index.

Corpus and index are cached under var/bench/ (gitignored) and rebuilt only when stale (generator, corpus, model,
chunker or index format changed). Builds and measurements run in child processes, so each peak RSS is the
measured process' own; the corpora's warm answers are measured in alternating processes (see `run`).

    .venv/bin/python benchmarks/corpus_scale.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import CHILD_ENV, QUESTIONS, ROOT, WHODECIDES, log, ms, pct, rss_mb

GENERATOR = "2"  # bump when the generated text changes (2: the real corpus copied in)
CACHE = ROOT / "var" / "bench"
CHUNKS_PER_DOC = 200  # 50 sections of 4 paragraphs; each paragraph is one chunk
DOMAIN = """product owner manager backlog roadmap price pricing tier enterprise sprint customer customers team
story stories release vision strategy market research acceptance criteria feature features stakeholder budget
goal quality estimate language programming plan region business case requirements scrum review done bug bugs
order priority value launch partner contract support sales marketing design architecture test data""".split()


def _vocabulary(rng: np.random.Generator, size: int = 20_000) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    made_up = {"".join(rng.choice(syllables, rng.integers(2, 5))) for _ in range(size * 2)}
    return DOMAIN + sorted(made_up - set(DOMAIN))[:size]


def _paragraph(words: list[str]) -> str:
    out, i = [], 0
    for length in (12, 11, 13):
        sentence = " ".join(words[i : i + length])
        out.append(sentence[0].upper() + sentence[1:] + ".")
        i += length
    return " ".join(out)


def generate_corpus(folder: Path, n_chunks: int, seed: int = 7) -> None:
    """n_chunks / CHUNKS_PER_DOC Markdown documents whose sections split into 4 one-chunk paragraphs each."""
    rng = np.random.default_rng(seed)
    vocab = np.array(_vocabulary(rng))
    weights = 1.0 / (np.arange(len(vocab)) + 10.0)
    weights /= weights.sum()
    folder.mkdir(parents=True, exist_ok=True)
    per_paragraph = 36
    for d in range(max(1, n_chunks // CHUNKS_PER_DOC)):
        picks = vocab[rng.choice(len(vocab), CHUNKS_PER_DOC * per_paragraph, p=weights)].tolist()
        lines = [f"# Synthetic handbook {d}", ""]
        for p in range(CHUNKS_PER_DOC):
            if p % 4 == 0:
                lines += [f"## Topic {d}.{p // 4}", ""]
            lines += [_paragraph(picks[p * per_paragraph : (p + 1) * per_paragraph]), ""]
        (folder / f"handbook-{d:05d}.md").write_text("\n".join(lines), encoding="utf-8")
    # The real articles too, as a company's wiki export would hold them: the rules' citations must resolve
    # (an Answerer refuses rules quoting text the corpus lacks).
    for doc in sorted((ROOT / "corpus").glob("*.md")):
        shutil.copy(doc, folder / doc.name)
    (folder / "GENERATOR").write_text(f"{GENERATOR} {n_chunks} {seed}\n")


class SyntheticVectors:
    """An encoder handing out random unit vectors shaped like sentence embeddings, batch by batch."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self._batches = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        from bot.ann import synthetic_vectors

        self._batches += 1
        return synthetic_vectors(len(texts), self.dim, seed=self._batches)


def paths(n: int) -> tuple[Path, Path]:
    return CACHE / f"corpus-{n}", CACHE / f"index-{n}"


def build(n: int) -> dict:
    """Generate and index the n-chunk corpus unless the cached one is fresh (run in a child process)."""
    from bot.embedding import resolve_model
    from bot.index import Index, stale_reasons

    corpus, folder = paths(n)
    marker = corpus / "GENERATOR"
    if not marker.exists() or marker.read_text().split()[:2] != [GENERATOR, str(n)]:
        t = time.perf_counter()
        for old in corpus.glob("*.md"):
            old.unlink()
        generate_corpus(corpus, n)
        log(f"  generated {n:,}-chunk corpus in {time.perf_counter() - t:.0f} s")
    model = resolve_model(None)
    reasons = stale_reasons(folder, corpus, model)
    if not reasons:
        return {"built": False}
    t = time.perf_counter()
    index = Index.build(corpus, SyntheticVectors(), model, batch_size=50_000)
    build_s = time.perf_counter() - t
    index.save(folder)
    return {"built": True, "reasons": reasons, "build_s": round(build_s, 1), "chunks": index.manifest.n_chunks}


def measure(corpus: Path, folder: Path, rounds: int, recall: bool = True) -> dict:
    """In a fresh process set up as `whodecides serve` sets itself up: index load, Answerer start, warm answers
    (each one's seconds), peak RSS."""
    t = time.perf_counter()
    from bot.answer import Answerer
    from bot.index import Index
    from bot.process import configure_process, settle_for_serving
    from bot.settings import Settings

    import_s = time.perf_counter() - t
    configure_process()  # the entry point's set-up (bot.cli.main), one BLAS thread included, as served
    t = time.perf_counter()
    index = Index.load(folder)
    load_s = time.perf_counter() - t
    n, kind = index.manifest.n_chunks, index.manifest.index_kind
    del index
    t = time.perf_counter()
    answerer = Answerer.from_settings(Settings.from_env({}, corpus_dir=corpus, index_dir=folder))
    start_s = time.perf_counter() - t
    settle_for_serving()  # as `whodecides serve` does: one faiss thread per query, the engine out of the gc's sight
    for q in QUESTIONS:
        answerer.answer(q)
    times = []
    for i in range(rounds):
        t = time.perf_counter()
        answerer.answer(QUESTIONS[i % len(QUESTIONS)])
        times.append(time.perf_counter() - t)
    peak = rss_mb()  # before the recall check below, which scores every chunk
    return {
        "chunks": n,
        "index_kind": kind,
        "import_s": round(import_s, 3),
        "load_s": round(load_s, 3),
        "start_s": round(start_s, 3),
        "times": times,
        **peak,
        "lexical_recall_at_10": _lexical_recall(answerer.index, 10) if recall else None,
    }


def _lexical_recall(index, k: int) -> float | None:
    """BM25 top-k from the champion-list candidates against scoring every chunk, over the questions' topics."""
    from bot.retrieval import top_k
    from bot.textutil import lexical_terms
    from bot.topic import topic_of

    every = np.arange(index.manifest.n_chunks, dtype=np.int64)
    found = total = 0
    for q in QUESTIONS:
        terms = lexical_terms(topic_of(q), drop_frame=True)
        m = index.lexical.match(terms)
        if not len(m.ids):
            continue
        exact = m.score_of(every)
        truth = set(top_k(exact, k).tolist()) - set(np.flatnonzero(exact <= 0).tolist())
        got = set(m.ids[top_k(m.scores, k)].tolist())
        found, total = found + len(truth & got), total + len(truth)
    return round(found / total, 4) if total else None


def _child(*args: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=CHILD_ENV, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} exited {proc.returncode}: {proc.stderr.strip()[-600:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cold_asks(corpus: Path, folder: Path, runs: int) -> list[float]:
    cmd = [*WHODECIDES, "ask", "--corpus", str(corpus), "--index", str(folder), QUESTIONS[0]]
    times = []
    for i in range(runs + 1):  # the first is unmeasured: page cache, .pyc, the rule vectors' cache
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=CHILD_ENV, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"whodecides ask exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
        if i:
            times.append(time.perf_counter() - t)
    return times


def run(sizes: tuple[int, ...], *, rounds: int = 300, cold_runs: int = 3, blocks: int = 5) -> dict:
    """The default corpus and each synthetic size, measured the same way.

    The warm answers of every corpus are measured in `blocks` fresh processes of rounds / blocks answers each,
    the corpora taking turns (forth, then back), and pooled: a busy spell of this shared machine then falls
    on every corpus alike, where one process per corpus, minutes apart, let it fall on one of them; and the
    spread between fresh processes of the same corpus (p50s up to ±10% apart here) averages out."""
    from bot.settings import Settings

    settings = Settings.from_env()
    corpora = [("default", settings.corpus_dir, settings.index_dir)]
    builds = {}
    for n in sizes:
        log(f"  corpus scale {n:,}: build (cached when fresh) …")
        builds[n] = _child("--build", str(n))
        corpora.append((f"{n:,}", *paths(n)))
    colds = {name: _cold_asks(corpus, folder, cold_runs) for name, corpus, folder in corpora}
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in corpora}
    per_block = max(1, rounds // blocks)
    for b in range(blocks):
        for name, corpus, folder in corpora if b % 2 == 0 else corpora[::-1]:
            recall = "1" if not runs[name] else "0"  # BM25 recall once: it scores every chunk
            runs[name].append(_child("--measure", str(corpus), str(folder), str(per_block), recall))
    rows = []
    for name, _, _ in corpora:
        rows.append(_pooled(name, runs[name], colds[name]))
        log(f"  corpus scale {name}: {rows[-1]}")
    return {"rows": rows, "builds": {str(k): v for k, v in builds.items()}}


def _pooled(name: str, runs: list[dict], cold: list[float]) -> dict:
    """One corpus' row from its measuring processes: answer times pooled, start-up figures their median."""
    times = [t for r in runs for t in r["times"]]
    first = runs[0]
    return {
        "chunks": first["chunks"],
        "index_kind": first["index_kind"],
        **{key: round(statistics.median(r[key] for r in runs), 3) for key in ("import_s", "load_s", "start_s")},
        "rounds": len(times),
        "processes": len(runs),
        "answer_p50_ms": ms(pct(times, 50)),
        "answer_p99_ms": ms(pct(times, 99)),
        "process_p50_ms": [ms(pct(r["times"], 50)) for r in runs],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "lexical_recall_at_10": first["lexical_recall_at_10"],
        "name": name,
        "cold_ask_median_s": round(statistics.median(cold), 3),
        "cold_ask_runs": len(cold),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--build", type=int, help="(child) build the cached corpus and index of this size")
    parser.add_argument("--measure", nargs=4, metavar=("CORPUS", "INDEX", "ROUNDS", "RECALL"), help="(child) measure")
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build(args.build)))
    elif args.measure:
        corpus, folder, rounds, recall = args.measure
        print(json.dumps(measure(Path(corpus), Path(folder), int(rounds), recall == "1")))
    else:
        print(json.dumps(run(tuple(int(s) for s in args.sizes.split(","))), indent=2))


if __name__ == "__main__":
    main()
