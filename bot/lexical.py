"""BM25 built by bm25s, searched through the query terms' posting lists with bounded work per term.

bm25s computes every (term, chunk) BM25 weight at build time into a sparse term-by-chunk matrix (CSC: per term,
its chunks in ascending order and their weights). A query's score for a chunk is the sum of its terms' weights.
bm25s' `get_scores`/`retrieve` add them into an array as long as the corpus and select from all of it; here:

- candidates: for each query term, its whole posting list when it holds at most CHAMPIONS chunks, else the
  CHAMPIONS chunks where the term weighs most (its "champion list", precomputed at build time);
- scores: each candidate's exact BM25 score, the term weights looked up by binary search in the posting lists
  and added term by term in float32 in query order, as bm25s adds them (tests compare the two bit for bit).

So a query costs at most (terms × CHAMPIONS) candidates, whatever the corpus size. A long posting list is searched
for them through a bitmap of its chunks with rank counts (bot/rankbits.py), built the first time the term is
asked about and kept in a cache bounded in bytes: a few operations per candidate, where a binary search took
log2(list length) scattered reads per candidate, and so grew with the corpus. When no query term is longer
than CHAMPIONS chunks (every term, on a corpus of that size) the candidates are every matching chunk and the top
is exact; above, it is approximate like the ANN's dense top, and benchmarks/corpus_scale.py measures its recall.
The query path also skips `import bm25s` (it pulls in scipy: ~0.2 s of a cold ask).

On disk: the CSC arrays and the champion lists as .npy files (memory-mapped on load) and the vocabulary as a
sorted table of terms (bot/linetable.py) with each term's column, so no dictionary of every term is built at start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.linetable import LineTable, write_lines
from bot.rankbits import RankBits, Slots

DATA = "bm25.data.npy"
INDICES = "bm25.indices.npy"
INDPTR = "bm25.indptr.npy"
CHAMPION_IDS = "bm25.champions.npy"
CHAMPION_PTR = "bm25.champions.indptr.npy"
TERMS = "bm25.terms"  # sorted terms, one a line; bm25.terms.offsets.npy beside it
COLUMNS = "bm25.columns.npy"  # the matrix column of each sorted term
EMPTY_DOC = "_"  # a chunk without terms still gets a row
CHAMPIONS = 1000
TERM_CACHE = 4096  # terms whose column is remembered (see _TableVocab)
BITMAP_CACHE_BYTES = 32 * 2**20  # long posting lists kept as bitmaps: ~1,700 terms at 100k chunks, ~170 at 1M


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique of a 1-d array, without it: np.unique loads numpy.ma on first use, ~30 ms of a cold answer."""
    out = np.sort(values, kind="stable")  # timsort: the lexical candidates are a few sorted runs, merged fast
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


@dataclass(frozen=True)
class Matches:
    """Candidate chunks for a query (ascending ids) with their exact BM25 scores, and a way to score others."""

    ids: np.ndarray  # int64, sorted
    scores: np.ndarray  # float32
    _index: LexicalIndex | None = None
    _columns: tuple[int, ...] = ()
    _complete: bool = False  # every query term's whole posting list is among the candidates (no champion list)

    def score_of(self, ids: np.ndarray) -> np.ndarray:
        """Exact scores of any chunk ids (0 where no query term occurs)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._index is None:
            return np.zeros(len(ids), dtype=np.float32)
        if not self._complete:
            return self._index.scores(self._columns, ids)
        # Every chunk holding a query term is a candidate, scored already: the others score 0.
        out = np.zeros(len(ids), dtype=np.float32)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        known = self.ids[at] == ids
        out[known] = self.scores[at[known]]
        return out


class LexicalIndex:
    def __init__(self, arrays: dict[str, np.ndarray], vocab: _Vocab, n_docs: int) -> None:
        self.data, self.indices, self.indptr = arrays["data"], arrays["indices"], arrays["indptr"]
        self.champion_ids, self.champion_ptr = arrays["champion_ids"], arrays["champion_ptr"]
        self.vocab = vocab
        self.n_docs = n_docs
        per_term = -(-max(n_docs, 1) // 64) * (8 + 4)  # RankBits.nbytes
        self._bits_of = lru_cache(maxsize=max(16, BITMAP_CACHE_BYTES // per_term))(self._bits)

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, docs: Iterable[Sequence[str]]) -> LexicalIndex:
        """One term list per chunk. Term ids are handed to bm25s, so no second copy of the strings is made."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG to the root
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in (terms or (EMPTY_DOC,))] for terms in docs]
        scores = bm25s.BM25().build_index_from_ids(list(range(len(vocab))), ids, show_progress=False)
        data, indices, indptr = _sorted_columns(
            np.asarray(scores["data"], dtype=np.float32), np.asarray(scores["indices"]), np.asarray(scores["indptr"])
        )
        champion_ids, champion_ptr = _champions(data, indices, indptr)
        arrays = {
            "data": data,
            "indices": indices,
            "indptr": indptr,
            "champion_ids": champion_ids,
            "champion_ptr": champion_ptr,
        }
        return cls(arrays, _MemoryVocab(vocab), int(scores["num_docs"]))

    def save(self, folder: Path) -> None:
        if not isinstance(self.vocab, _MemoryVocab):
            raise ValueError("only a freshly built lexical index can be saved")
        for name, array in (
            (DATA, self.data),
            (INDICES, self.indices),
            (INDPTR, self.indptr),
            (CHAMPION_IDS, self.champion_ids),
            (CHAMPION_PTR, self.champion_ptr),
        ):
            np.save(folder / name, array)
        terms = self.vocab.sorted_terms()
        write_lines(folder / TERMS, (t.encode() for t in terms))
        np.save(folder / COLUMNS, np.asarray([self.vocab.column(t) for t in terms], dtype=np.int64))

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> LexicalIndex:
        def arr(name: str) -> np.ndarray:
            # A plain ndarray view of the map: slicing an np.memmap builds a memmap object each time (~3 µs).
            return np.load(folder / name, mmap_mode="r", allow_pickle=False).view(np.ndarray)

        arrays = {
            "data": arr(DATA),
            "indices": arr(INDICES),
            "indptr": arr(INDPTR),
            "champion_ids": arr(CHAMPION_IDS),
            "champion_ptr": arr(CHAMPION_PTR),
        }
        index = cls(arrays, _TableVocab(LineTable(folder / TERMS), arr(COLUMNS)), n_docs)
        n_terms = len(index.indptr) - 1
        if (
            len(index.vocab) != n_terms
            or len(index.champion_ptr) != n_terms + 1
            or len(index.data) != len(index.indices)
            or int(index.indptr[-1]) != len(index.data)
            or int(index.champion_ptr[-1]) != len(index.champion_ids)
        ):
            raise ValueError("the BM25 arrays and terms disagree")
        return index

    # --- searching --------------------------------------------------------------------------------
    def match(self, terms: Sequence[str]) -> Matches:
        """The query's candidates (see the module's docstring), scored as bm25s scores them."""
        cols = tuple(c for c in (self.vocab.column(t) for t in terms) if c >= 0)
        parts = []
        complete = True
        for c in set(cols):
            start, end = int(self.indptr[c]), int(self.indptr[c + 1])
            if end - start <= CHAMPIONS:
                parts.append(self.indices[start:end])
            else:
                parts.append(self.champion_ids[int(self.champion_ptr[c]) : int(self.champion_ptr[c + 1])])
                complete = False
        if not parts:
            return Matches(np.zeros(0, np.int64), np.zeros(0, np.float32))
        ids = sorted_unique(np.concatenate(parts).astype(np.int64))
        return Matches(ids, self.scores(cols, ids, ascending=True), self, cols, complete)

    def scores(self, columns: Sequence[int], ids: np.ndarray, *, ascending: bool = False) -> np.ndarray:
        """Exact BM25 scores of `ids` (ascending or not) for the query whose terms are these columns.

        `ascending`: the ids are sorted and unique, so a posting list shorter than them is searched in them rather
        than they in it (a bigram's few hundred chunks among a query's ~3,000 candidates: 8× fewer steps)."""
        out = np.zeros(len(ids), dtype=np.float32)
        if not len(ids):
            return out
        # The ids in the posting lists' own type (int32 below 2^31 chunks): mixed types make numpy convert
        # every posting list searched to int64 first.
        keys = np.asarray(ids).astype(self.indices.dtype, copy=False) if self.n_docs < 2**31 else ids
        slots: Slots | None = None  # where the keys fall in any long list's bitmap: computed once
        for c in columns:  # term by term in float32, as bm25s adds them (a repeated term counts twice)
            start, end = int(self.indptr[c]), int(self.indptr[c + 1])
            if end == start:
                continue
            posting, weights = self.indices[start:end], self.data[start:end]
            if end - start > CHAMPIONS:  # a long list: looked up through its bitmap, whatever its length
                slots = slots or Slots.of(keys)
                at, found = self._bits_of(c).find(slots)
                out += np.where(found, weights.take(at), np.float32(0.0))  # take: faster than weights[at]
            elif ascending and end - start < len(keys):
                at = np.searchsorted(keys, posting)
                np.minimum(at, len(keys) - 1, out=at)
                found = keys[at] == posting
                out[at[found]] += weights[found]  # distinct positions: a posting list holds a chunk once
            else:
                at = np.searchsorted(posting, keys)
                np.minimum(at, end - start - 1, out=at)
                # A chunk without the term adds 0.0, which leaves a (non-negative) float32 sum as it was; one
                # masked assignment per term instead of three boolean selections.
                out += np.where(posting.take(at) == keys, weights.take(at), np.float32(0.0))
        return out

    def _bits(self, column: int) -> RankBits:
        return RankBits(self.indices[int(self.indptr[column]) : int(self.indptr[column + 1])], self.n_docs)


def _sorted_columns(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, ...]:
    """Chunk ids ascending within each column (binary search needs it); bm25s' scipy build already gives that."""
    lengths = np.diff(indptr)
    col = np.repeat(np.arange(len(lengths)), lengths)
    step = np.diff(indices.astype(np.int64))
    if len(step) and np.any((step <= 0) & (col[1:] == col[:-1])):
        order = np.lexsort((indices, col))
        data, indices = data[order], indices[order]
    return data, indices, indptr


def _champions(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column longer than CHAMPIONS: the CHAMPIONS chunks it weighs most in (ties: lower id), ascending."""
    lengths = np.diff(indptr)
    ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.where(lengths > CHAMPIONS, CHAMPIONS, 0))
    out = np.zeros(int(ptr[-1]), dtype=indices.dtype)
    for c in np.flatnonzero(lengths > CHAMPIONS):
        start, end = int(indptr[c]), int(indptr[c + 1])
        weights, docs = data[start:end], indices[start:end]
        best = np.lexsort((docs, -weights))[:CHAMPIONS]
        out[ptr[c] : ptr[c + 1]] = np.sort(docs[best])
    return out, ptr


class _MemoryVocab:
    def __init__(self, vocab: dict[str, int]) -> None:
        self._vocab = vocab

    def __len__(self) -> int:
        return len(self._vocab)

    def column(self, term: str) -> int:
        return self._vocab.get(term, -1)

    def sorted_terms(self) -> list[str]:
        return sorted(self._vocab)  # code-point order, which is UTF-8 byte order: what LineTable.find expects


class _TableVocab:
    def __init__(self, terms: LineTable, columns: np.ndarray) -> None:
        if len(columns) != len(terms):
            raise ValueError("the BM25 terms and their columns disagree")
        self._terms, self._columns = terms, columns
        # A binary search over the mapped terms costs ~10 µs a term; questions reuse their words, so the
        # recent ones are remembered (bounded: a few hundred KB whatever the corpus size).
        self.column = lru_cache(maxsize=TERM_CACHE)(self._find)

    def __len__(self) -> int:
        return len(self._terms)

    def _find(self, term: str) -> int:
        pos = self._terms.find(term.encode())
        return int(self._columns[pos]) if pos >= 0 else -1


_Vocab = _MemoryVocab | _TableVocab
