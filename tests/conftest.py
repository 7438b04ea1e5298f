"""Shared fixtures: the real corpus, a real index built with the real model (once per session), a real Answerer,
and a real PostgreSQL server (once per session) with fresh databases on it.

Without PostgreSQL's binaries every test that asks for a PostgreSQL fixture SKIPS, loudly: the reason is
printed to stderr when it happens and again in a red banner at the end of the run. They never pass silently.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fakes.postgres import PostgresServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DEV_SET = ROOT / "tests" / "data" / "dev.jsonl"
REALISTIC = ROOT / "tests" / "data" / "realistic.jsonl"
TRIAL = ROOT / "tests" / "data" / "trial.jsonl"  # 120 messages by a writer who saw neither eval set nor examples
TRIAL2 = ROOT / "tests" / "data" / "trial2.jsonl"  # two more such sets (third session), each by its own writer
TRIAL3 = ROOT / "tests" / "data" / "trial3.jsonl"
TRIAL4 = ROOT / "tests" / "data" / "trial4.jsonl"  # fourth session: scored untouched, then its tuning half read
TRIAL5 = ROOT / "tests" / "data" / "trial5.jsonl"  # fourth session too: scored blind at the end of the engine work
TRIAL6 = ROOT / "tests" / "data" / "trial6.jsonl"  # fifth session: scored blind (0.892 / 0.830), never read
TRIAL7 = ROOT / "tests" / "data" / "trial7.jsonl"  # fifth session: scored blind (0.833 / 0.778)
TRIAL8 = ROOT / "tests" / "data" / "trial8.jsonl"  # sixth session: scored blind (0.858 / 0.771)
TRIAL9 = ROOT / "tests" / "data" / "trial9.jsonl"  # sixth session: scored blind (0.758 / 0.638), check not tuned on
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
def real_settings(real_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from bot.settings import Settings

    db = tmp_path_factory.mktemp("db") / "whodecides.db"
    return Settings.from_env({}, corpus_dir=CORPUS, index_dir=real_index_dir, database_url=f"sqlite:///{db}")


@pytest.fixture(scope="session")
def answerer(real_settings):
    from bot.answer import Answerer

    return Answerer.from_settings(real_settings)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


# --- PostgreSQL --------------------------------------------------------------------------------------

_postgres_skipped: list[str] = []


def _start_postgres_or_record_skip() -> PostgresServer:
    from tests.fakes.postgres import start_postgres

    try:
        return start_postgres()
    except pytest.skip.Exception as skip:
        _postgres_skipped.append(str(skip.msg))
        raise


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _postgres_skipped:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_postgres_skipped[0], red=True)
        print(f"WARNING: PostgreSQL tests skipped: {_postgres_skipped[0]}", file=sys.__stderr__)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One server for the session (tests that stop it start their own with `postgres_factory`)."""
    server = _start_postgres_or_record_skip()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres.create_database()


@pytest.fixture
def postgres_factory() -> Iterator[Callable[[], PostgresServer]]:
    """Servers of the test's own (to stop and restart); all destroyed at teardown."""
    servers: list[PostgresServer] = []

    def make() -> PostgresServer:
        server = _start_postgres_or_record_skip()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.destroy()
