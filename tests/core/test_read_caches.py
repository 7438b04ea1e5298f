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
