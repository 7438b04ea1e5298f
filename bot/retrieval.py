"""Hybrid search (dense FAISS + BM25, score fusion) keyed on the decision, not the question's frame.

Fusion is max-normalised BM25 plus DENSE_WEIGHT × cosine. Reciprocal rank fusion was measured too
(`whodecides eval --retrieval`): on this small corpus it let weak dense ranks push exact lexical hits out of the
top 3, so it scored below BM25 alone; the score fusion scores at or above both.

Each method returns only its top CANDIDATES; the union is fused, each candidate with both of its scores (a
lexical-only candidate's cosine is computed from its stored vector, a dense-only one's BM25 score looked up), so
an answer's cost does not grow with the corpus, apart from the ANN search itself. On a corpus of at most
CANDIDATES chunks this ranks exactly as scoring every chunk would (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.embedding import Encoder
from bot.index import Index
from bot.lexical import Matches, sorted_unique
from bot.results import Passage
from bot.textutil import lexical_terms

RRF_K = 60
DENSE_WEIGHT = 0.5
CANDIDATES = 100  # per method
MODES = ("dense", "lexical", "hybrid", "rrf")


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    score: float  # the fused score (or the single method's own)
    dense: float  # cosine similarity of the topic and the chunk
    lexical: float


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k highest scores, best first, ties by position; a partition, not a sort of everything."""
    n = len(scores)
    if n > k > 0:
        kth = np.partition(scores, n - k)[n - k]
        pos = np.flatnonzero(scores >= kth)  # ties at the k-th score are all kept, then cut in order below
    else:
        pos = np.arange(n)
    order = np.lexsort((pos, -scores[pos]))
    return pos[order][: max(k, 0)]


@dataclass(frozen=True)
class _Candidates:
    ids: np.ndarray  # ascending chunk ids
    dense: np.ndarray  # cosine (float32)
    lexical: np.ndarray  # BM25 (float32, 0 where no term matches)
    in_dense: np.ndarray  # bool: among the ANN's hits


class Retriever:
    def __init__(self, index: Index, encoder: Encoder, mode: str = "hybrid") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.index = index
        self.encoder = encoder
        self.mode = mode

    def dense_hits(self, query_vec: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ANN's top k (default CANDIDATES): (chunk ids, cosines), best first."""
        k = min(self.index.ann.ntotal, CANDIDATES if k is None else k)
        scores, ids = self.index.ann.search(np.asarray(query_vec, dtype=np.float32).reshape(1, -1), k)
        valid = ids[0] >= 0
        return ids[0][valid].astype(np.int64), scores[0][valid].astype(np.float32)

    def lexical_matches(self, topic: str) -> Matches:
        """Every chunk sharing a BM25 term with the topic, with its score."""
        return self.index.lexical.match(lexical_terms(topic, drop_frame=True))

    def search(self, topic: str, k: int = 5, *, query_vec: np.ndarray | None = None) -> list[Hit]:
        if query_vec is None:
            query_vec = self.encoder.encode([topic])[0]
        c = self._candidates(np.asarray(query_vec, dtype=np.float32), self.lexical_matches(topic))
        if self.mode == "dense":
            fused = np.where(c.in_dense, c.dense, np.float32(-1.0))
        elif self.mode == "lexical":
            fused = c.lexical
        elif self.mode == "rrf":
            fused = _rrf(c)
        else:
            top = float(c.lexical.max(initial=0.0))
            fused = (c.lexical / top if top > 0 else c.lexical) + DENSE_WEIGHT * np.clip(c.dense, 0.0, None)
        best = top_k(fused, k)  # as Python numbers in one call per array, not four numpy scalars per hit
        ids, scores = c.ids[best].tolist(), fused[best].tolist()
        return [Hit(*row) for row in zip(ids, scores, c.dense[best].tolist(), c.lexical[best].tolist(), strict=True)]

    def _candidates(self, query_vec: np.ndarray, matches: Matches) -> _Candidates:
        dense_ids, dense_scores = self.dense_hits(query_vec)
        lexical_ids = matches.ids[top_k(matches.scores, CANDIDATES)]
        ids = sorted_unique(np.concatenate([dense_ids, lexical_ids]).astype(np.int64))
        # Membership by binary search in the sorted arrays (np.isin sorts both again: ~10 µs each per answer).
        dense = np.zeros(len(ids), dtype=np.float32)
        at = np.searchsorted(ids, dense_ids)
        in_dense = np.zeros(len(ids), dtype=bool)
        in_dense[at] = True
        dense[at] = dense_scores
        others = ids[~in_dense]
        if len(others):  # lexical-only candidates: their cosine from the stored vectors
            vectors = self.index.ann.reconstruct_batch(others)
            dense[~in_dense] = vectors @ query_vec
        lexical = np.zeros(len(ids), dtype=np.float32)
        at = np.minimum(np.searchsorted(matches.ids, ids), max(len(matches.ids) - 1, 0))
        known = matches.ids[at] == ids if len(matches.ids) else np.zeros(len(ids), dtype=bool)
        lexical[known] = matches.scores[at[known]]  # scored already; the others (dense-only) are looked up
        lexical[~known] = matches.score_of(ids[~known])
        return _Candidates(ids, dense, lexical, in_dense)

    def passage(self, hit: Hit, score: float | None = None) -> Passage:
        c = self.index.chunks[hit.chunk_id]
        return Passage(
            text=c.text,
            title=c.title,
            source=c.source,
            section=c.section,
            score=hit.score if score is None else score,
            doc_id=c.doc_id,
            chunk_id=c.chunk_id,
            role=c.role,
            authority=c.authority,
        )


def _rrf(c: _Candidates) -> np.ndarray:
    """Reciprocal rank fusion; a method that did not match a chunk gives it nothing."""
    fused = np.zeros(len(c.ids), dtype=np.float64)
    for scores, keep in ((c.dense, c.in_dense), (c.lexical, c.lexical > 0)):
        ranked = np.flatnonzero(keep)[top_k(scores[keep], int(keep.sum()))]
        fused[ranked] += 1.0 / (RRF_K + np.arange(len(ranked)) + 1)
    return fused.astype(np.float32)
