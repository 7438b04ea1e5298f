"""Scale-out fixtures: a real PostgreSQL server, fresh databases on it, a Slack Web API mock, replicas.

Without PostgreSQL's binaries every test here SKIPS, loudly: the reason is printed to stderr when it
happens and again in a banner at the end of the run. They never pass silently.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.postgres import PostgresServer, start_postgres
from tests.fakes.slack_web_api import SlackWebApiMock
from tests.scaleout.replicas import CORPUS, ROOT, WHODECIDES, Replica, replica_env, start_replicas

_skipped: list[str] = []


def _start_or_record_skip() -> PostgresServer:
    try:
        return start_postgres()
    except pytest.skip.Exception as skip:
        _skipped.append(str(skip.msg))
        raise


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if _skipped:
        terminalreporter.write_sep("!", "PostgreSQL scale-out tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_skipped[0], red=True)
        print(f"WARNING: PostgreSQL tests skipped: {_skipped[0]}", file=sys.__stderr__)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One server for the session (tests that stop it start their own with `postgres_factory`)."""
    server = _start_or_record_skip()
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
        server = _start_or_record_skip()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.destroy()


@pytest.fixture
def web_api() -> Iterator[SlackWebApiMock]:
    with SlackWebApiMock() as mock:
        yield mock


@pytest.fixture(scope="session")
def replica_index(real_index_dir: Path) -> Path:
    """The session's prebuilt index, warmed once by one `whodecides ask` (the rule-vector cache is
    written next to the index), so replicas load it in seconds and never build anything at start."""
    env = replica_env(database_url=None, web_api=None, index_dir=real_index_dir)
    proc = subprocess.run(
        [str(WHODECIDES), "ask", "--json", "who decides the price?"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert json.loads(proc.stdout.splitlines()[0])["recommendation"] == "PM"
    assert (real_index_dir / "manifest.json").is_file() and CORPUS.is_dir()
    return real_index_dir


@pytest.fixture
def replica_factory(replica_index: Path, tmp_path: Path) -> Iterator[Callable[..., list[Replica]]]:
    """replica_factory(database_url, web_api, "a", "b") → ready replicas; all killed at teardown."""
    started: list[Replica] = []

    def make(database_url: str | None, web_api: SlackWebApiMock, *names: str) -> list[Replica]:
        env = replica_env(database_url=database_url, web_api=web_api, index_dir=replica_index)
        return start_replicas(list(names), env, tmp_path, started)

    yield make
    for replica in started:
        replica.stop()
