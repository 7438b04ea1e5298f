"""One server with both adapters on one runtime, and a driver per platform that speaks its wire protocol:
signed Slack requests against the local Web API mock, Bot Framework activities against the local connector.

The answerer is the real engine (the session's index), behind `LadderAnswerer`, which raises on three
marker words so that the error ladder can be driven from a chat message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from bot.errors import UsageError, WhodecidesError
from bot.results import Answer
from bot.runtime import Runtime, build_runtime
from bot.server import build_server
from bot.settings import Settings
from tests.fakes.live_server import LiveServer
from tests.fakes.slack_requests import SIGNING_SECRET, SlackSender, dm, feedback_values
from tests.fakes.slack_web_api import SlackWebApiMock
from tests.fakes.teams_connector import TeamsConnector

SLACK_USER, SLACK_TEAM = "UASKER", "T0001"
TEAMS_TENANT = "72f988bf-0000-4000-8000-00000000abcd"
TEAMS_USER = {"id": "29:1ann-teams-user-id", "name": "Ann Example", "aadObjectId": "aad-ann-0001"}
TEAMS_BOT = {"id": "28:whodecides-bot", "name": "whodecides"}

USAGE_PROBLEM = "That is not a question I can work with: name a decision."
KNOWN_FAILURE = "The index is being rebuilt; ask again in a minute."


class LadderAnswerer:
    """The real answerer, except for three marker words that raise each rung of the error ladder."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def answer(self, question: str) -> Answer:
        with self._lock:
            self.calls.append(question)
        if "usage-error" in question:
            raise UsageError(USAGE_PROBLEM)
        if "known-failure" in question:
            raise WhodecidesError(KNOWN_FAILURE)
        if "crash" in question:
            raise RuntimeError("an unexpected failure, with a secret path /srv/app/index")
        return self.real.answer(question)


@dataclass
class Seen:
    """What the user was shown: every visible string, and the 👍/👎 controls to press (if any)."""

    visible: str
    votes: dict[str, Any] = field(default_factory=dict)  # "up"/"down" → the platform's button payload


class Driver(Protocol):
    platform: str
    user: str
    workspace: str

    def ask(self, text: str) -> Seen: ...
    def press(self, seen: Seen, vote: str) -> str: ...


def _strings(node: Any) -> list[str]:
    """Every string in a payload: texts of blocks, cards, fallbacks."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, v in node.items() if key not in ("value", "data") for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@dataclass
class SlackDriver:
    sender: SlackSender
    web_api: SlackWebApiMock
    platform: str = "slack"
    user: str = SLACK_USER
    workspace: str = SLACK_TEAM

    def ask(self, text: str) -> Seen:
        before = len(self.web_api.calls("chat.postMessage", delivered_only=True))
        ts = f"{time.time():.6f}"
        assert self.sender.event(dm(text, user=self.user, ts=ts)).status_code == 200
        post = self.web_api.wait_for("chat.postMessage", before + 1)[-1]
        votes = feedback_values(post.body)
        blocks = post.body.get("blocks") or []
        return Seen("\n".join([post.body.get("text") or "", *_strings(blocks)]), votes)

    def press(self, seen: Seen, vote: str) -> str:
        name = f"vote-{time.monotonic_ns()}"
        before = len(self.web_api.calls("response_url", delivered_only=True))
        url = self.web_api.response_url(name)
        response = self.sender.feedback(seen.votes[vote], response_url=url, user=self.user)
        assert response.status_code == 200
        [thanks] = [c for c in self.web_api.wait_for("response_url", before + 1) if c.path.endswith(name)]
        return str(thanks.body.get("text"))


@dataclass
class TeamsDriver:
    url: str
    connector: TeamsConnector
    http: httpx.Client
    platform: str = "teams"
    user: str = TEAMS_USER["aadObjectId"]
    workspace: str = TEAMS_TENANT

    def _activity(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "id": str(time.monotonic_ns()),
            "timestamp": "2026-11-22T10:00:00.000Z",
            "channelId": "msteams",
            "serviceUrl": self.connector.url,
            "from": dict(TEAMS_USER),
            "conversation": {"conversationType": "personal", "tenantId": TEAMS_TENANT, "id": "a:1personal-chat"},
            "recipient": dict(TEAMS_BOT),
            "locale": "en-US",
            "channelData": {"tenant": {"id": TEAMS_TENANT}},
            **fields,
        }

    def _post(self, activity: dict[str, Any]) -> Any:
        before = len(self.connector.messages)
        assert self.http.post(f"{self.url}/api/messages", json=activity).status_code == 200
        messages = self.connector.messages
        assert len(messages) == before + 1, "exactly one reply per message"
        return messages[-1]

    def ask(self, text: str) -> Seen:
        posted = self._post(self._activity("message", text=text, textFormat="plain"))
        cards = [a["content"] for a in posted.activity.get("attachments") or []]
        votes: dict[str, Any] = {}
        if (posted.activity.get("channelData") or {}).get("feedbackLoopEnabled"):
            # Teams' own 👍/👎 under the message: pressing one sends message/submitAction naming it.
            votes = {vote: {"reaction": reaction, "replyToId": posted.id} for vote, reaction in TEAMS_REACTIONS}
        texts = [posted.activity.get("text") or "", posted.activity.get("summary") or "", *_strings(cards)]
        return Seen("\n".join(texts), votes)

    def press(self, seen: Seen, vote: str) -> str:
        pressed = seen.votes[vote]
        value = {"actionName": "feedback", "actionValue": {"reaction": pressed["reaction"], "feedback": ""}}
        invoke = self._activity("invoke", name="message/submitAction", value=value, replyToId=pressed["replyToId"])
        return str(self._post(invoke).activity.get("text"))


TEAMS_REACTIONS = (("up", "like"), ("down", "dislike"))


@dataclass
class BothPlatforms:
    runtime: Runtime
    answerer: LadderAnswerer
    drivers: dict[str, Driver]


@pytest.fixture
def both(answerer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BothPlatforms]:
    """`whodecides serve` with Slack and Teams both on, one runtime, the real engine, a fresh SQLite."""
    for name in ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    ladder = LadderAnswerer(answerer)
    with SlackWebApiMock() as web_api, TeamsConnector() as connector, httpx.Client(timeout=60) as http:
        settings = Settings.from_env(
            {},
            slack_bot_token="xoxb-test-token",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=web_api.base_url,
            teams_allow_unauthenticated=True,
            database_url=f"sqlite:///{tmp_path / 'whodecides.db'}",
        )
        runtime = build_runtime(settings, answerer=ladder)
        server = LiveServer(build_server(settings, runtime=runtime)).start()
        sender = SlackSender(server.url)
        try:
            drivers: dict[str, Driver] = {
                "slack": SlackDriver(sender, web_api),
                "teams": TeamsDriver(server.url, connector, http),
            }
            yield BothPlatforms(runtime, ladder, drivers)
        finally:
            sender.close()
            server.stop()


def dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)
