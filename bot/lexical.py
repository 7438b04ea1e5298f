"""BM25 built by bm25s, searched over the posting lists of the query's terms only.

bm25s computes every (term, chunk) BM25 weight at build time into a sparse term-by-chunk matrix (CSC: per term
the chunks holding it and their weights). A query's score for a chunk is the sum of its terms' weights, which
bm25s' `get_scores`/`retrieve` add into an array as long as the corpus. Here only the chunks the query's terms
reach are scored, in the same float32 order as bm25s (tests compare the two), so a query costs its terms' posting
lists, not the corpus size. The query path also skips `import bm25s` (it pulls in scipy: ~0.2 s of a cold ask).

On disk: the three CSC arrays as .npy files (memory-mapped on load) and the vocabulary as a sorted table of
terms (bot/linetable.py) with each term's column, so no dictionary of every term is built at start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.linetable import LineTable, write_lines

DATA = "bm25.data.npy"
INDICES = "bm25.indices.npy"
INDPTR = "bm25.indptr.npy"
TERMS = "bm25.terms"  # sorted terms, one a line; bm25.terms.offsets.npy beside it
COLUMNS = "bm25.columns.npy"  # the matrix column of each sorted term
FILES = (DATA, INDICES, INDPTR, TERMS, TERMS + ".offsets.npy", COLUMNS)
EMPTY_DOC = "_"  # a chunk without terms still gets a row


@dataclass(frozen=True)
class Matches:
    """The chunks that share a term with the query (ascending ids) and their BM25 scores."""

    ids: np.ndarray  # int64, sorted
    scores: np.ndarray  # float32

    def score_of(self, ids: np.ndarray) -> np.ndarray:
        """Scores of arbitrary chunk ids (0 where the query's terms do not occur)."""
        out = np.zeros(len(ids), dtype=np.float32)
        if len(self.ids) and len(ids):
            pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
            hit = self.ids[pos] == ids
            out[hit] = self.scores[pos[hit]]
        return out


class LexicalIndex:
    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocab: _Vocab) -> None:
        self.data, self.indices, self.indptr = data, indices, indptr
        self.vocab = vocab
        self.n_docs = 0  # set by build/load

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, docs: Iterable[Sequence[str]]) -> LexicalIndex:
        """One term list per chunk. Term ids are handed to bm25s, so no second copy of the strings is made."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG to the root
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in (terms or (EMPTY_DOC,))] for terms in docs]
        scores = bm25s.BM25().build_index_from_ids(list(range(len(vocab))), ids, show_progress=False)
        index = cls(
            np.asarray(scores["data"], dtype=np.float32),
            np.asarray(scores["indices"]),
            np.asarray(scores["indptr"]),
            _MemoryVocab(vocab),
        )
        index.n_docs = int(scores["num_docs"])
        return index

    def save(self, folder: Path) -> None:
        np.save(folder / DATA, self.data)
        np.save(folder / INDICES, self.indices)
        np.save(folder / INDPTR, self.indptr)
        if not isinstance(self.vocab, _MemoryVocab):
            raise ValueError("only a freshly built lexical index can be saved")
        terms = self.vocab.sorted_terms()
        write_lines(folder / TERMS, (t.encode() for t in terms))
        np.save(folder / COLUMNS, np.asarray([self.vocab.column(t) for t in terms], dtype=np.int64))

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> LexicalIndex:
        def arr(name: str) -> np.ndarray:
            return np.load(folder / name, mmap_mode="r", allow_pickle=False)

        index = cls(arr(DATA), arr(INDICES), arr(INDPTR), _TableVocab(LineTable(folder / TERMS), arr(COLUMNS)))
        index.n_docs = n_docs
        n_terms = len(index.indptr) - 1
        if (
            len(index.vocab) != n_terms
            or len(index.data) != len(index.indices)
            or int(index.indptr[-1]) != len(index.data)
        ):
            raise ValueError("the BM25 arrays and terms disagree")
        return index

    # --- searching --------------------------------------------------------------------------------
    def match(self, terms: Sequence[str]) -> Matches:
        """Every chunk sharing a term with the query, scored as bm25s scores it (a repeated term counts twice)."""
        cols = [c for c in (self.vocab.column(t) for t in terms) if c >= 0]
        spans = [(int(self.indptr[c]), int(self.indptr[c + 1])) for c in cols]
        spans = [(s, e) for s, e in spans if e > s]
        if not spans:
            return Matches(np.zeros(0, np.int64), np.zeros(0, np.float32))
        ids = np.unique(np.concatenate([self.indices[s:e] for s, e in spans])).astype(np.int64)
        scores = np.zeros(len(ids), dtype=np.float32)
        for s, e in spans:  # term by term in float32, as bm25s adds them
            scores[np.searchsorted(ids, self.indices[s:e])] += self.data[s:e]
        return Matches(ids, scores)


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

    def __len__(self) -> int:
        return len(self._terms)

    def column(self, term: str) -> int:
        pos = self._terms.find(term.encode())
        return int(self._columns[pos]) if pos >= 0 else -1


_Vocab = _MemoryVocab | _TableVocab
