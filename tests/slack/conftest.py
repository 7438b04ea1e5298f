"""Fixtures: a Slack Web API mock, the real server under uvicorn, and a signed-request sender."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.server import build_server
from bot.settings import Settings
from tests.fakes.answerer import FakeAnswerer
from tests.fakes.live_server import LiveServer
from tests.fakes.slack_requests import SIGNING_SECRET, SlackSender
from tests.fakes.slack_web_api import SlackWebApiMock


@pytest.fixture
def web_api() -> Iterator[SlackWebApiMock]:
    with SlackWebApiMock() as mock:
        yield mock


def slack_settings(web_api: SlackWebApiMock, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": web_api.base_url,
        "database_url": f"sqlite:///{tmp_path / 'var' / 'whodecides.db'}",
    }
    values.update(overrides)
    return Settings.from_env(env={}, **values)


@pytest.fixture
def settings(web_api: SlackWebApiMock, tmp_path: Path) -> Settings:
    return slack_settings(web_api, tmp_path)


@pytest.fixture
def answerer() -> FakeAnswerer:
    return FakeAnswerer()


@pytest.fixture
def start_server() -> Iterator[Callable[..., tuple[LiveServer, SlackSender]]]:
    """start_server(settings, answerer, **build_server_kwargs) → (live server, signed sender)."""
    started: list[tuple[LiveServer, SlackSender]] = []

    def start(settings: Settings, answerer: object, **kwargs: object) -> tuple[LiveServer, SlackSender]:
        server = LiveServer(build_server(settings, answerer, **kwargs)).start()  # type: ignore[arg-type]
        sender = SlackSender(server.url)
        started.append((server, sender))
        return server, sender

    yield start
    for server, sender in started:
        sender.close()
        server.stop()


@pytest.fixture
def slack(settings, answerer, start_server) -> SlackSender:
    """The default server (fake answerer, SQLite) and a sender for it."""
    return start_server(settings, answerer)[1]
