"""The bounded caches on the answer path (parsed chunks, BM25 term columns) give what reading afresh gives."""

import json
from pathlib import Path

from bot.chunking import Chunk
from bot.chunkstore import PARSED_CHUNKS
from bot.index import Index
from bot.lexical import TERM_CACHE


def test_a_cached_chunk_is_the_parsed_line(real_index_dir: Path) -> None:
    index = Index.load(real_index_dir)
    table = index.chunks
    lines = (real_index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    for i in (0, 7, len(table) - 1):
        first = table[i]
        assert first == Chunk(**json.loads(lines[i]))
        assert table[i] is first  # the second read is the cached object (chunks are frozen)
    assert table._parsed.cache_info().maxsize == PARSED_CHUNKS


def test_cached_term_columns_are_those_of_the_binary_search(real_index_dir: Path) -> None:
    vocab = Index.load(real_index_dir).lexical.vocab
    terms = (real_index_dir / "bm25.terms").read_text(encoding="utf-8").splitlines()
    assert len(terms) > 100
    for term in [*terms[::7], "zzz-not-a-term", ""]:
        assert vocab.column(term) == vocab._find(term)
        assert vocab.column(term) == vocab._find(term)  # and again, from the cache
    assert vocab.column("zzz-not-a-term") == -1
    assert vocab.column.cache_info().maxsize == TERM_CACHE


def _questions() -> list[str]:
    data = Path(__file__).resolve().parents[1] / "data"
    out = []
    for name in ("dev", "realistic", "trial"):
        out += [json.loads(line)["q"] for line in (data / f"{name}.jsonl").read_text().splitlines() if line.strip()]
    return out


def test_the_topic_cache_gives_what_reading_afresh_gives_and_holds_only_an_answers_few() -> None:
    from bot.topic import topic_of

    questions = _questions()
    assert len(questions) > 200
    for q in questions:
        assert topic_of(q) == topic_of.__wrapped__(q)
        assert topic_of(q) == topic_of.__wrapped__(q)  # and again, from the cache
    assert topic_of.cache_info().maxsize <= 8 and topic_of.cache_info().hits >= len(questions)


def test_the_spelling_cache_gives_what_correcting_afresh_gives() -> None:
    from bot.typos import Speller

    speller = Speller(["backlog", "prioritizes", "roadmap", "pricing"])
    texts = ["who prioritzes the backlgo?", "who owns the roadmpa and the pricnig?", *_questions()[:50]]
    for text in texts:
        want = speller._correct(text)
        assert speller.correct(text) == want
        assert speller.correct(text) == want  # and again, from the cache
    assert speller.correct("who prioritzes the backlgo?")[1] == (("prioritzes", "prioritizes"), ("backlgo", "backlog"))
    assert speller._corrected.cache_info().maxsize <= 8
