"""Scale: build time, index memory, search p50/p99 and recall@10 of bot.ann's automatic index.

Synthetic corpora of 10k, 100k and 1M 384-d unit vectors (bot.ann.synthetic_vectors: anisotropic like
real sentence embeddings) with held-out queries from the same distribution. Recall@10 is against exact
inner-product search. Searches are one query at a time, as a server answers them.

    .venv/bin/python benchmarks/scale.py [--sizes 10000,100000,1000000] [--kind auto|flat|hnsw|ivf]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import ann  # noqa: E402

DIM = 384


def index_bytes(index: faiss.Index) -> int:
    """Bytes held by the index's own buffers (vectors, ids, graph, centroids)."""
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexHNSW):
        h = real.hnsw
        graph = h.neighbors.size() * 4 + h.offsets.size() * 8 + h.levels.size() * 4
        return index_bytes(real.storage) + graph
    if isinstance(real, faiss.IndexRefine):
        return index_bytes(real.base_index) + index_bytes(real.refine_index)
    if isinstance(real, faiss.IndexIVF):
        lists = real.ntotal * (real.code_size + 8)  # codes + 64-bit ids
        return lists + index_bytes(real.quantizer)
    if isinstance(real, faiss.IndexFlat):
        return real.ntotal * real.code_size
    return real.ntotal * real.d * 4


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000)


def timed_searches(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    for q in queries[:5]:  # warm caches and OpenMP
        index.search(q[None], k)
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q[None], k)
        times.append(time.perf_counter() - t)
        found.append(ids[0])
    return times, np.array(found)


def measure(n: int, *, kind: str = "auto", n_queries: int = 300, flat_queries: int = 50, seed: int = 0) -> dict:
    t0 = time.perf_counter()
    base = ann.synthetic_vectors(n, DIM, seed=seed)
    queries = ann.synthetic_vectors(n_queries, DIM, seed=seed + 10_000)
    gen_s = time.perf_counter() - t0

    ann.set_threads()  # builds use every core
    t = time.perf_counter()
    index = ann.build_ann(base, kind=kind)
    build_s = time.perf_counter() - t
    ann.set_threads(1)  # searched one query at a time, as served (see bot.ann.set_threads)

    times, found = timed_searches(index, queries, 10)
    truth = ann.exact_neighbours(base, queries, 10)
    recall = ann.recall_at_k(found, truth)

    row = {
        "n": n,
        "index": ann.describe(index),
        "build_s": round(build_s, 2),
        "memory_mb": round(index_bytes(index) / 2**20, 1),
        "search_p50_ms": round(percentile_ms(times, 50), 3),
        "search_p99_ms": round(percentile_ms(times, 99), 3),
        "recall_at_10": round(recall, 4),
        "queries": n_queries,
        "generate_s": round(gen_s, 2),
    }
    if not isinstance(faiss.downcast_index(index), faiss.IndexFlat) and flat_queries:
        flat = ann.build_ann(base, kind="flat")  # what exact search would cost at this size
        flat_times, _ = timed_searches(flat, queries[:flat_queries], 10)
        row["exact_p50_ms"] = round(percentile_ms(flat_times, 50), 3)
        del flat
    del index, base
    return row


def run(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), *, kind: str = "auto", log=print) -> list[dict]:
    rows = []
    for n in sizes:
        row = measure(n, kind=kind)
        log(
            f"  scale {n:>9,}: {row['index']}  build {row['build_s']:.1f}s  {row['memory_mb']:.0f} MB  "
            f"p50 {row['search_p50_ms']:.2f} ms  p99 {row['search_p99_ms']:.2f} ms  recall@10 {row['recall_at_10']:.3f}"
        )
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--kind", default="auto", choices=ann.KINDS)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = run(tuple(int(s) for s in args.sizes.split(",")), kind=args.kind)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
