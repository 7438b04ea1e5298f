"""The index's chunks: a list while building, read one at a time from disk once saved.

Both kinds answer `chunks[i]`, `len(chunks)`, iteration and `of_doc(doc_id)` (the chunks of one document, which
are consecutive because the chunker numbers a document's chunks in a row).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from bot.chunking import Chunk
from bot.linetable import LineTable, write_lines

PARSED_CHUNKS = 1024


class MemoryChunks(list[Chunk]):
    """The chunks of an index just built, before it is saved."""

    def of_doc(self, doc_id: str) -> list[Chunk]:
        return [c for c in self if c.doc_id == doc_id]


def doc_ranges(chunks: Sequence[Chunk]) -> dict[str, list[int]]:
    """doc_id → [first chunk id, last + 1]; a document's chunks must be consecutive and numbered in order."""
    ranges: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        if c.chunk_id != i:
            raise ValueError(f"chunk {i} is numbered {c.chunk_id}")
        r = ranges.get(c.doc_id)
        if r is None:
            ranges[c.doc_id] = [i, i + 1]
        elif r[1] == i:
            r[1] = i + 1
        else:
            raise ValueError(f"the chunks of {c.doc_id} are not consecutive")
    return ranges


def write_chunks(folder: Path, chunks: Sequence[Chunk], table: str, docs: str) -> None:
    write_lines(folder / table, (json.dumps(asdict(c), ensure_ascii=False).encode() for c in chunks))
    (folder / docs).write_text(json.dumps(doc_ranges(chunks), ensure_ascii=False))


class ChunkTable:
    """Saved chunks, each parsed when asked for. Thread-safe."""

    def __init__(self, folder: Path, table: str, docs: str) -> None:
        self._lines = LineTable(folder / table)
        self._docs: dict[str, list[int]] = json.loads((folder / docs).read_text(encoding="utf-8"))
        # Answers keep showing the same passages (the rules' citations, the roles' definitions): the recently
        # read chunks stay parsed. Chunks are frozen, so sharing them is safe; bounded whatever the corpus size.
        self._parsed = lru_cache(maxsize=PARSED_CHUNKS)(self._parse)

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i: int) -> Chunk:
        return self._parsed(int(i))

    def _parse(self, i: int) -> Chunk:
        return Chunk(**json.loads(self._lines.line(i)))

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))

    def of_doc(self, doc_id: str) -> list[Chunk]:
        start, end = self._docs.get(doc_id, (0, 0))
        return [self[i] for i in range(start, end)]
