"""The real index build on the default corpus (as `whodecides index` does it), and the ANN scale rows."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from common import log


def index_build_section() -> dict:
    """Model load, then the build (chunk, embed, FAISS, BM25) and the save (ONNX export, stamps) timed apart."""
    from bot.embedding import SentenceTransformerEncoder, resolve_model
    from bot.index import Index
    from bot.settings import Settings

    settings = Settings.from_env()
    model = resolve_model(settings.model_path)
    encoder = SentenceTransformerEncoder(model)
    t = time.perf_counter()
    encoder.encode(["warm-up"])  # model load apart from the build itself
    load_s = time.perf_counter() - t
    folder = Path(tempfile.mkdtemp(prefix="whodecides-index-")) / "index"
    try:
        t = time.perf_counter()
        index = Index.build(settings.corpus_dir, encoder, model)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        index.save(folder)  # a new folder: the ONNX query encoder is exported, not taken over
        save_s = time.perf_counter() - t
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
    n = index.manifest.n_chunks
    return {
        "chunks": n,
        "model_load_s": round(load_s, 2),
        "build_s": round(build_s, 2),
        "save_s": round(save_s, 2),
        "chunks_per_s": round(n / build_s, 1),
        "index_kind": index.manifest.index_kind,
    }


def scale_section(sizes: tuple[int, ...]) -> dict:
    import scale

    return {"rows": scale.run(sizes, log=log)}
