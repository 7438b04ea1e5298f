"""A saved faiss IndexFlatIP read and searched with numpy alone: a cold `ask` on a small corpus skips faiss.

Importing faiss costs ~45 ms of a ~0.5 s cold answer, and a flat index (every corpus up to bot.ann.FLAT_MAX
vectors) is one float32 matrix: a query is one matrix-vector product. The file is faiss' own (`write_index`);
`read_flat_ip` maps it only when its header is exactly that of an IndexFlatIP of the expected shape, and returns
None for anything else (an IVF index, another faiss version's layout), which the caller then opens with faiss.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_FOURCC = b"IxFI"  # faiss' tag of an IndexFlatIP
_HEADER = struct.Struct("<4siqqqBi")  # tag, d, ntotal, two dummies, is_trained, metric (0: inner product)
_SIZE = struct.Struct("<Q")  # then the codes' length in 4-byte words, then the codes (the float32 vectors)
_INNER_PRODUCT = 0


class FlatIP:
    """The parts of faiss.IndexFlatIP's interface the engine and its tests use, over a read-only matrix."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.ntotal, self.d = int(vectors.shape[0]), int(vectors.shape[1])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k), best first, ties by lower id; -1 ids pad past ntotal, as faiss."""
        from bot.retrieval import top_k  # here: bot.retrieval imports bot.index, which imports this module

        q = np.asarray(queries, dtype=np.float32).reshape(-1, self.d)
        scores = np.full((len(q), k), np.finfo(np.float32).min, dtype=np.float32)  # faiss pads with -FLT_MAX
        ids = np.full((len(q), k), -1, dtype=np.int64)
        for row, query in enumerate(q):
            sims = self.vectors @ query
            best = top_k(sims, k)
            scores[row, : len(best)], ids[row, : len(best)] = sims[best], best
        return scores, ids

    def reconstruct(self, i: int) -> np.ndarray:
        return np.array(self.vectors[int(i)])

    def reconstruct_n(self, start: int, n: int) -> np.ndarray:
        return np.array(self.vectors[start : start + n])

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        return self.vectors[np.asarray(ids, dtype=np.int64)]


def read_flat_ip(path: Path, *, dim: int, n: int) -> FlatIP | None:
    """The IndexFlatIP saved at `path`, memory-mapped, if the file is exactly one of (n × dim); else None."""
    head_size = _HEADER.size + _SIZE.size
    try:
        with open(path, "rb") as f:
            head = f.read(head_size)
        size = Path(path).stat().st_size
    except OSError:
        return None
    if len(head) != head_size:
        return None
    tag, d, ntotal, _, _, _, metric = _HEADER.unpack_from(head)
    (words,) = _SIZE.unpack_from(head, _HEADER.size)
    if tag != _FOURCC or metric != _INNER_PRODUCT or d != dim or ntotal != n or words != n * dim:
        return None
    if size != head_size + 4 * n * dim:
        return None
    if n == 0:
        return FlatIP(np.zeros((0, dim), dtype=np.float32))
    vectors = np.memmap(path, dtype=np.float32, mode="r", offset=head_size, shape=(n, dim)).view(np.ndarray)
    return FlatIP(vectors)
