"""Shared fixtures: the real corpus, a real index built with the real model (once per session), a real Answerer."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
PARAPHRASES = ROOT / "tests" / "data" / "paraphrases.jsonl"


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped corpus indexed with sentence-transformers + FAISS, as `whodecides index` does."""
    from bot.embedding import SentenceTransformerEncoder, resolve_model
    from bot.index import build_and_save

    folder = tmp_path_factory.mktemp("real") / "index"
    model = resolve_model(None)
    build_and_save(CORPUS, folder, SentenceTransformerEncoder(model), model, progress=False)
    return folder


@pytest.fixture(scope="session")
def real_settings(real_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from bot.settings import Settings

    db = tmp_path_factory.mktemp("db") / "whodecides.db"
    return Settings.from_env({}, corpus_dir=CORPUS, index_dir=real_index_dir, database_url=f"sqlite:///{db}")


@pytest.fixture(scope="session")
def answerer(real_settings):  # noqa: ANN001, ANN201
    from bot.answer import Answerer

    return Answerer.from_settings(real_settings)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst
