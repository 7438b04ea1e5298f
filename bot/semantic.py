"""Rule phrasings as vectors: a fallback that catches paraphrases no trigger spells out.

Encoding every trigger takes seconds, so the vectors are cached next to the index, keyed by the rules' digest
and the model's fingerprint.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from bot.embedding import Encoder
from bot.rules import RuleBook

log = logging.getLogger(__name__)
CACHE = "rule-vectors.npz"


class RuleVectors:
    def __init__(self, rule_ids: list[str], vectors: np.ndarray) -> None:
        self.rule_ids = rule_ids
        self.vectors = vectors

    @staticmethod
    def phrases(book: RuleBook) -> tuple[list[str], list[str]]:
        ids, texts = [], []
        for r in book.rules:
            for t in (*r.trigger_texts, r.area):
                ids.append(r.id)
                texts.append(t)
        return ids, texts

    @classmethod
    def load_or_build(cls, folder: Path, book: RuleBook, encoder: Encoder, model_fp: str) -> RuleVectors:
        ids, texts = cls.phrases(book)
        key = f"{book.digest}:{model_fp}"
        path = Path(folder) / CACHE
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) == key and data["vectors"].shape[0] == len(texts):
                    return cls(ids, data["vectors"].astype(np.float32))
        except (OSError, KeyError, ValueError):
            pass  # missing or unreadable: rebuild below
        vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, key=np.array(key), vectors=vectors)
            os.replace(tmp, path)  # atomic: replicas starting together never read half a file
        except OSError as exc:
            log.warning("could not cache rule vectors in %s: %s", path.parent, exc)
        return cls(ids, vectors)

    def best(self, query: np.ndarray, k: int = 3) -> tuple[tuple[str, float], ...]:
        """The k best rules (by their closest phrasing) with their cosine."""
        scores = self.vectors @ query.astype(np.float32)
        best: dict[str, float] = {}
        for i in np.argsort(-scores):
            rid = self.rule_ids[int(i)]
            if rid not in best:
                best[rid] = float(scores[int(i)])
                if len(best) == k:
                    break
        return tuple(best.items())
