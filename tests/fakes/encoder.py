"""A deterministic bag-of-words encoder: same protocol as the real ones, no model, instant."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from bot.textutil import tokens


class HashEncoder:
    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for tok in tokens(text) or ["_empty"]:
                h = int(hashlib.md5(tok.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0 if (h >> 8) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out
