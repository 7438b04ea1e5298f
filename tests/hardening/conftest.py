"""`whodecides serve` as a real subprocess, for the hardening tests that need the process itself: its uvicorn
settings, its file descriptors, its environment (HTTPS_PROXY) or its SQLite file being deleted under it."""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.slack_requests import SIGNING_SECRET
from tests.fakes.slack_web_api import SlackWebApiMock
from tests.scaleout.replicas import Replica, replica_env, warm_index_dir


@pytest.fixture
def web_api() -> Iterator[SlackWebApiMock]:
    with SlackWebApiMock() as mock:
        yield mock


@pytest.fixture(scope="session")
def warm_index(real_index_dir: Path) -> Path:
    """The session's index, warmed once, so a server starts in seconds."""
    return warm_index_dir(real_index_dir)


class ServeProcess(Replica):
    """A `whodecides serve` whose environment (and open-file limit) the test chooses."""

    def limit_open_files(self, n: int) -> None:
        """Like `ulimit -n n` for the running server (Linux prlimit)."""
        resource.prlimit(self.proc.pid, resource.RLIMIT_NOFILE, (n, n))


@pytest.fixture
def serve_process(warm_index: Path, tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """serve_process(name, web_api=None, database_url=None, **env) → a ready server."""
    started: list[ServeProcess] = []

    def start(
        name: str,
        *,
        web_api: SlackWebApiMock | None = None,
        database_url: str | None = None,
        **extra_env: str,
    ) -> ServeProcess:
        env = replica_env(database_url=database_url, web_api=web_api, index_dir=warm_index)
        if web_api is not None:
            env["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
        env.update(extra_env)
        server = ServeProcess(name, env, tmp_path)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:
        server.stop()
