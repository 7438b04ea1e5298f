"""Scale-out fixtures: a Slack Web API mock and `whodecides serve` replicas.

The PostgreSQL fixtures (`postgres`, `pg_url`, `postgres_factory`) and their loud skip live in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.slack_web_api import SlackWebApiMock
from tests.scaleout.replicas import Replica, replica_env, start_replicas, warm_index_dir


@pytest.fixture
def web_api() -> Iterator[SlackWebApiMock]:
    with SlackWebApiMock() as mock:
        yield mock


@pytest.fixture(scope="session")
def replica_index(real_index_dir: Path) -> Path:
    """The session's prebuilt index, warmed once, so replicas load it in seconds."""
    return warm_index_dir(real_index_dir)


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
