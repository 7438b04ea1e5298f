"""A sorted set of ids as a bitmap with rank counts: membership and position of any id in constant time.

A long BM25 posting list (tens of thousands of chunk ids) is searched for thousands of candidate ids per query. A
binary search costs log2(list length) scattered reads per id, and grows with the corpus; here an id's word of the
bitmap says whether the list holds it, and the bits set before it (the word's rank plus a popcount) give its
position in the list. The bitmap costs n/8 + n/16 bytes for ids below n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_ONE = np.uint64(1)


@dataclass(frozen=True)
class Slots:
    """Where some keys fall in a bitmap (their word, their bit, the bits below it): the same for every RankBits,
    so a query looking its candidates up in several lists computes it once."""

    word: np.ndarray
    bit: np.ndarray
    below: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray) -> Slots:
        keys = np.asarray(keys)
        bit = (keys & 63).astype(np.uint64)
        return cls(keys >> 6, bit, (_ONE << bit) - _ONE)


class RankBits:
    """The ids of one sorted, duplicate-free array, below `n`. Read-only, so shareable between threads."""

    def __init__(self, ids: np.ndarray, n: int) -> None:
        flags = np.zeros(-(-max(n, 1) // 64) * 64, dtype=bool)
        flags[ids] = True
        self.words = np.packbits(flags, bitorder="little").view("<u8")  # bit b of word w: id 64·w + b
        self.rank = np.zeros(len(self.words), dtype=np.int64 if len(ids) >= 2**31 else np.int32)
        np.cumsum(np.bitwise_count(self.words[:-1]), out=self.rank[1:])  # ids set before each word
        self.size = len(ids)
        self.words.flags.writeable = self.rank.flags.writeable = False

    @property
    def nbytes(self) -> int:
        return self.words.nbytes + self.rank.nbytes

    def find(self, keys: np.ndarray | Slots) -> tuple[np.ndarray, np.ndarray]:
        """(positions, present): where each key stands in the sorted ids, and whether it is there. A key that is
        not there gets the position of the next id (clipped to the last), as np.searchsorted would give it."""
        slots = keys if isinstance(keys, Slots) else Slots.of(keys)
        word = self.words.take(slots.word)  # take: faster than fancy indexing on 1-d arrays
        present = ((word >> slots.bit) & _ONE).astype(bool)
        at = self.rank.take(slots.word) + np.bitwise_count(word & slots.below)
        np.minimum(at, max(self.size - 1, 0), out=at)
        return at, present
