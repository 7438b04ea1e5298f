"""Hybrid search (dense FAISS + BM25, score fusion) keyed on the decision, not the question's frame.

Fusion is max-normalised BM25 plus DENSE_WEIGHT × cosine. Reciprocal rank fusion was measured too
(`whodecides eval --retrieval`): on this small corpus it let weak dense ranks push exact lexical hits out of the
top 3, so it scored below BM25 alone; the score fusion scores at or above both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.embedding import Encoder
from bot.index import Index
from bot.results import Passage
from bot.textutil import lexical_terms

RRF_K = 60
DENSE_WEIGHT = 0.5
MODES = ("dense", "lexical", "hybrid", "rrf")


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    score: float  # the fused score (or the single method's own)
    dense: float  # cosine similarity of the topic and the chunk
    lexical: float


class Retriever:
    def __init__(self, index: Index, encoder: Encoder, mode: str = "hybrid") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.index = index
        self.encoder = encoder
        self.mode = mode

    def dense_scores(self, query_vec: np.ndarray) -> np.ndarray:
        """Cosine of the query with every chunk (small corpora: all of them; large: the ANN's top hits)."""
        n = self.index.ann.ntotal
        k = min(n, 200)
        scores, ids = self.index.ann.search(query_vec.reshape(1, -1).astype(np.float32), k)
        out = np.full(n, -1.0, dtype=np.float32)
        valid = ids[0] >= 0
        out[ids[0][valid]] = scores[0][valid]
        return out

    def lexical_scores(self, topic: str) -> np.ndarray:
        toks = lexical_terms(topic, drop_frame=True)
        if not toks:
            return np.zeros(len(self.index.chunks), dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores(toks), dtype=np.float32)

    def search(self, topic: str, k: int = 5, *, query_vec: np.ndarray | None = None) -> list[Hit]:
        if query_vec is None:
            query_vec = self.encoder.encode([topic])[0]
        dense = self.dense_scores(query_vec)
        lexical = self.lexical_scores(topic)
        if self.mode == "dense":
            fused = dense.copy()
        elif self.mode == "lexical":
            fused = lexical.copy()
        elif self.mode == "rrf":
            fused = _rrf(dense, lexical)
        else:
            top = float(lexical.max())
            fused = (lexical / top if top > 0 else lexical) + DENSE_WEIGHT * np.clip(dense, 0.0, None)
        order = np.argsort(-fused, kind="stable")[:k]
        return [Hit(int(i), float(fused[i]), float(dense[i]), float(lexical[i])) for i in order]

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
        )


def _ranks(scores: np.ndarray, keep: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(len(order))
    return np.where(keep, ranks, -1)


def _rrf(dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """Reciprocal rank fusion; a method that did not match a chunk gives it nothing."""
    fused = np.zeros_like(dense, dtype=np.float64)
    for scores, keep in ((dense, dense > -1), (lexical, lexical > 0)):
        r = _ranks(scores, keep)
        fused += np.where(r >= 0, 1.0 / (RRF_K + r + 1), 0.0)
    return fused.astype(np.float32)
