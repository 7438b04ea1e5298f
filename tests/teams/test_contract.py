"""The Teams contract over HTTP: activities POSTed to a real server, replies caught by a local connector.

These run with TEAMS_ALLOW_UNAUTHENTICATED=true so they can focus on behaviour; test_auth.py covers JWT.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import texts
from bot.errors import UsageError, WhodecidesError
from bot.render import teams as render
from bot.results import EXAMPLE_QUESTIONS, HEADLINES
from bot.runtime import build_runtime
from bot.settings import Settings
from bot.store import FeedbackStore, make_engine
from bot.store.tables import feedback
from bot.teams import app as teams_app
from tests.teams.conftest import (
    ANN,
    APP_ID,
    CHANNEL,
    TENANT_ID,
    NetworkGuard,
    TeamsServer,
    feedback_invoke,
    message,
    teams_only_api,
)

PERSONAL_CHAT = "a:1personal-chat-id"
GROUP_CHAT = "19:group0chat0id@thread.v2"


def headline(posted) -> str:
    [card] = posted.cards()
    return card["body"][0]["text"]


def feedback_rows(server: TeamsServer) -> list[dict]:
    with server.feedback_store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(feedback))]


# ---------------------------------------------------------------- who gets answered
def test_personal_chat_message_is_answered_with_a_card(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    response = server.post(message(server.connector.url, "who decides the price of the enterprise tier?"))
    assert response.status_code == 200
    assert server.answerer.calls == ["who decides the price of the enterprise tier?"]
    assert [p.type for p in server.connector.posted] == ["typing", "message"]
    reply = server.connector.messages[0]
    assert reply.method == "POST" and reply.conversation_id == PERSONAL_CHAT
    assert reply.activity["from"]["id"] == f"28:{APP_ID}"
    assert headline(reply) == HEADLINES["PM"]
    assert reply.activity["summary"] == HEADLINES["PM"]  # the text fallback for notifications
    [card] = reply.cards()
    assert card["fallbackText"].startswith("The Product Manager decides")


def test_personal_chat_strips_a_mention_too(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    server.post(message(server.connector.url, "<at>whodecides</at> who orders the backlog?", mention=True))
    assert server.answerer.calls == ["who orders the backlog?"]
    assert headline(server.connector.messages[0]) == HEADLINES["PO"]


def test_channel_mention_is_answered_in_its_thread(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    activity = message(
        server.connector.url, "<at>whodecides</at> who decides the price?", scope="channel", mention=True
    )
    assert server.post(activity).status_code == 200
    assert server.answerer.calls == ["who decides the price?"]
    [reply] = server.connector.messages
    assert reply.conversation_id == f"{CHANNEL};messageid={activity['id']}"
    assert headline(reply) == HEADLINES["PM"]


def test_channel_reply_in_a_thread_goes_to_that_thread(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    activity = message(
        server.connector.url,
        "<at>whodecides</at> and who orders the backlog?",
        scope="channel",
        mention=True,
        reply_to="1700000000001",
    )
    server.post(activity)
    [reply] = server.connector.messages
    assert reply.conversation_id == f"{CHANNEL};messageid=1700000000001"


def test_channel_message_without_a_mention_is_ignored(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    response = server.post(message(server.connector.url, "who decides the price?", scope="channel"))
    assert response.status_code == 200
    assert server.answerer.calls == []
    assert server.connector.posted == []


def test_group_chat_answers_only_when_mentioned(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    server.post(message(server.connector.url, "who decides the price?", scope="groupChat"))
    assert server.connector.posted == [] and server.answerer.calls == []

    server.post(
        message(
            server.connector.url,
            "<at>whodecides</at> who decides the price?",
            scope="groupChat",
            mention=True,
        )
    )
    assert server.answerer.calls == ["who decides the price?"]
    [reply] = server.connector.messages
    assert reply.conversation_id == GROUP_CHAT


def test_other_peoples_mentions_keep_their_names(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    activity = message(
        server.connector.url,
        "<at>whodecides</at> should <at>Bob</at> set the price?",
        scope="channel",
        mention=True,
    )
    activity["entities"].append(
        {"type": "mention", "mentioned": {"id": "29:bob", "name": "Bob"}, "text": "<at>Bob</at>"}
    )
    server.post(activity)
    assert server.answerer.calls == ["should Bob set the price?"]


def test_slack_and_teams_are_served_by_the_same_server(
    make_server: Callable[..., TeamsServer], no_internet: NetworkGuard
) -> None:
    settings = Settings(
        slack_bot_token="xoxb-local-test",
        slack_signing_secret="local-signing-secret",
        slack_api_url="http://127.0.0.1:9/api/",
        teams_allow_unauthenticated=True,
    )
    server = make_server(settings)
    health = server.client.get(f"{server.url}/healthz").json()
    assert health["slack"] is True and health["teams"] is True
    unsigned = server.client.post(f"{server.url}/slack/events", content=b"command=/whodecides&text=price")
    assert unsigned.status_code == 401  # Slack's route is there, and checks its own signatures
    assert server.post(message(server.connector.url, "who decides the price?")).status_code == 200
    assert headline(server.connector.messages[0]) == HEADLINES["PM"]
    assert no_internet.attempts == []


# ---------------------------------------------------------------- the answer card
def test_answer_card_over_the_wire(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    server.post(message(server.connector.url, "who decides the price?"))
    [card] = server.connector.messages[0].cards()
    assert card["type"] == "AdaptiveCard"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts == {"Confidence": "high", "Consulted": "Product Owner, Sales"}
    assert card["body"][3]["text"] == "Pricing is a market decision, which the Product Manager owns."
    quoted = [
        run["text"]
        for element in card["body"]
        if element["type"] == "Container"
        for item in element["items"]
        if item["type"] == "RichTextBlock"
        for run in item["inlines"]
    ]
    assert len(quoted) == 3 and all(q.startswith("“Passage ") for q in quoted)
    kinds = [a["type"] for a in card["actions"]]
    assert kinds == ["Action.ShowCard"]  # 👍/👎 are Teams' own now (test_native.py)
    why = card["actions"][0]
    assert why["title"] == "Why?"
    why_text = str(why["card"])
    assert "Rule pricing" in why_text and "The Product Manager is responsible for pricing & <packaging>." in why_text


def test_unknown_answer_offers_examples_that_can_be_clicked(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    server.post(message(server.connector.url, "what's for lunch?"))
    [card] = server.connector.messages[0].cards()
    assert card["body"][0]["text"] == HEADLINES["UNKNOWN"]
    example = next(a["data"] for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"])
    assert example == {"action": render.ASK_ACTION, "question": EXAMPLE_QUESTIONS[0]}

    # Clicking it in a channel: a card submit, no mention, answered all the same.
    server.connector.clear()
    server.post(message(server.connector.url, None, scope="channel", value=example, reply_to="1700000000009"))
    assert server.answerer.calls[-1] == EXAMPLE_QUESTIONS[0]
    assert headline(server.connector.messages[0]) == HEADLINES["PM"]


# ---------------------------------------------------------------- typing, off the event loop
def test_typing_shows_while_the_answerer_works_and_the_server_stays_responsive(
    make_server: Callable[..., TeamsServer],
) -> None:
    gate = threading.Event()
    server = make_server(Settings(teams_allow_unauthenticated=True))
    server.answerer.gate = gate
    done: list[int] = []
    first = threading.Thread(
        target=lambda: done.append(server.post(message(server.connector.url, "who decides the price?")).status_code)
    )
    first.start()
    try:
        assert _wait(lambda: len(server.answerer.calls) == 1 and len(server.connector.typing) >= 1)
        assert server.connector.messages == []  # typing is showing; the answer is not ready
        # The answerer is blocked in its thread: the event loop still serves other activities.
        assert server.post(message(server.connector.url, "hello", scope="channel")).status_code == 200
    finally:
        gate.set()
        first.join(timeout=30)
    assert done == [200]
    assert [p.type for p in server.connector.posted][-1] == "message"
    assert headline(server.connector.messages[0]) == HEADLINES["PM"]


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    event = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        event.wait(0.02)
    return condition()


# ---------------------------------------------------------------- feedback
def _click(server: TeamsServer, reaction: str, *, scope: str = "personal", feedback: str = "") -> dict:
    """Ask, then press Teams' own 👍/👎 on the answer: a message/submitAction invoke naming its id."""
    text = "who decides the price?" if scope == "personal" else "<at>whodecides</at> who decides the price?"
    server.post(message(server.connector.url, text, scope=scope, mention=scope != "personal"))
    answer_post = server.connector.messages[-1]
    server.connector.clear()
    invoke = feedback_invoke(server.connector.url, reaction, feedback, reply_to=answer_post.id, scope=scope)
    response = server.post(invoke)
    assert response.status_code == 200
    return invoke


def test_feedback_is_stored_in_the_shared_database_and_acknowledged(
    unauthenticated_server: TeamsServer,
) -> None:
    server = unauthenticated_server
    _click(server, "like")
    [ack] = server.connector.messages
    assert ack.activity["text"] == texts.THANKS["up"]
    [row] = feedback_rows(server)
    assert row["platform"] == "teams"
    assert row["vote"] == "up"
    assert row["user_id"] == ANN["aadObjectId"]
    assert row["workspace"] == TENANT_ID
    assert row["question"] == "who decides the price?"
    assert row["recommendation"] == "PM"
    assert len(row["answer_id"]) == 32  # the answer's own id, remembered for the message Teams names
    assert server.feedback_store.summary(platform="teams") == {"up": 1, "down": 0}


def test_feedback_from_a_channel_needs_no_mention(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    _click(server, "dislike", scope="channel")
    assert server.connector.messages[0].activity["text"] == texts.THANKS["down"]
    assert server.feedback_store.summary(platform="teams") == {"up": 0, "down": 1}


def test_feedback_with_the_database_down_is_acknowledged_and_logged(
    make_server: Callable[..., TeamsServer], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    server = make_server(
        Settings(teams_allow_unauthenticated=True), store=FeedbackStore(make_engine(f"sqlite:///{broken}"))
    )
    with caplog.at_level(logging.ERROR):
        _click(server, "like")
    assert server.connector.messages[-1].activity["text"] == texts.FEEDBACK_LOST
    assert "feedback LOST" in caplog.text


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("text", "scope", "mention"),
    [
        ("", "personal", False),
        ("   \n ", "personal", False),
        ("help", "personal", False),
        ("<at>whodecides</at>", "channel", True),
        ("<at>whodecides</at> &nbsp; ", "groupChat", True),
    ],
)
def test_empty_message_or_help_gets_usage(
    unauthenticated_server: TeamsServer, text: str, scope: str, mention: bool
) -> None:
    server = unauthenticated_server
    assert server.post(message(server.connector.url, text, scope=scope, mention=mention)).status_code == 200
    [reply] = server.connector.messages
    [card] = reply.cards()
    assert render.USAGE in str(card)
    assert server.answerer.calls == []


class RaisingAnswerer:
    """An answerer that refuses, as the real one does with UsageError or WhodecidesError."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[str] = []

    def answer(self, question: str):
        self.calls.append(question)
        raise self.error


def test_usage_error_from_the_answerer_shows_usage_with_its_message(
    make_server: Callable[..., TeamsServer],
) -> None:
    answerer = RaisingAnswerer(UsageError("That was only emoji. Ask me who decides something."))
    server = make_server(Settings(teams_allow_unauthenticated=True), with_answerer=answerer)
    server.post(message(server.connector.url, "🙂🙂🙂"))
    [card] = server.connector.messages[0].cards()
    assert card["body"][0]["text"] == "That was only emoji. Ask me who decides something."
    assert render.USAGE in str(card)


def test_whodecides_error_message_is_shown_as_is(make_server: Callable[..., TeamsServer]) -> None:
    answerer = RaisingAnswerer(WhodecidesError("The index is being rebuilt; try again in a minute."))
    server = make_server(Settings(teams_allow_unauthenticated=True), with_answerer=answerer)
    server.post(message(server.connector.url, "who decides the price?"))
    [reply] = server.connector.messages
    assert reply.activity["text"] == "The index is being rebuilt; try again in a minute."


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"action": render.FEEDBACK_ACTION},
        {"action": render.FEEDBACK_ACTION, "vote": "up"},
        {"action": render.FEEDBACK_ACTION, "vote": "maybe", "question": "q", "recommendation": "PM"},
        {"action": "not-ours", "x": 1},
        "just a string",
        ["a", "list"],
        12,
    ],
)
def test_card_submit_with_missing_or_garbage_data_gets_a_short_message(
    unauthenticated_server: TeamsServer, value: object
) -> None:
    server = unauthenticated_server
    response = server.post(message(server.connector.url, None, value=value, reply_to="activity-1"))
    assert response.status_code == 200
    [reply] = server.connector.messages
    assert reply.activity["text"] == texts.LOST_BUTTON
    assert feedback_rows(server) == []
    assert server.answerer.calls == []


def test_twenty_thousand_characters_are_answered(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    question = "Who decides the price of the enterprise tier? " + "more context " * 1600
    assert len(question) >= 20_000
    assert server.post(message(server.connector.url, question)).status_code == 200
    [reply] = server.connector.messages
    assert headline(reply) == HEADLINES["PM"]
    assert len(server.answerer.calls[0]) == len(question.strip())


def test_answerer_failure_gets_an_apology_not_silence(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    server.post(message(server.connector.url, "boom"))
    [reply] = server.connector.messages
    assert reply.activity["text"] == texts.SORRY


def test_a_refused_card_falls_back_to_text(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    server.connector.fail_messages.append(500)
    server.post(message(server.connector.url, "who decides the price?"))
    [reply] = server.connector.messages
    assert reply.activity["text"].startswith("The Product Manager decides")
    assert "attachments" not in reply.activity


@pytest.mark.parametrize("body", [b"not json", b"[1, 2, 3]", b'"a string"', b"\xff\xfe"])
def test_a_body_that_is_not_an_activity_gets_400(unauthenticated_server: TeamsServer, body: bytes) -> None:
    server = unauthenticated_server
    response = server.client.post(
        f"{server.url}/api/messages", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert server.connector.posted == [] and server.answerer.calls == []


def test_a_malformed_activity_is_refused_and_the_server_carries_on(
    unauthenticated_server: TeamsServer,
) -> None:
    server = unauthenticated_server
    broken = message(server.connector.url, "who decides the price?")
    del broken["from"], broken["conversation"]
    response = server.post(broken)
    assert response.status_code >= 400 and "Traceback" not in response.text
    assert server.connector.posted == []
    assert server.post(message(server.connector.url, "who decides the price?")).status_code == 200
    assert len(server.connector.messages) == 1


# ---------------------------------------------------------------- unauthenticated mode
def test_unauthenticated_mode_logs_a_loud_warning(
    make_server: Callable[..., TeamsServer], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.teams.app"):
        make_server(Settings(teams_allow_unauthenticated=True))
    [record] = [r for r in caplog.records if "TEAMS_ALLOW_UNAUTHENTICATED" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "NEVER" in record.getMessage() and "/api/messages" in record.getMessage()


def test_unauthenticated_is_never_the_default(make_server: Callable[..., TeamsServer]) -> None:
    assert Settings.from_env({}).teams_allow_unauthenticated is False
    assert Settings.from_env({"TEAMS_ALLOW_UNAUTHENTICATED": "true"}).teams_allow_unauthenticated is True
    # `whodecides serve` with nothing configured does not serve Teams at all...
    server = make_server(Settings.from_env({}))
    assert server.post(message(server.connector.url, "who decides the price?")).status_code == 404
    # ...and the Teams app itself, mounted without credentials, refuses everything.
    server = make_server(Settings.from_env({}), api_factory=teams_only_api)
    assert server.post(message(server.connector.url, "who decides the price?")).status_code == 401
    assert server.connector.posted == [] and server.answerer.calls == []


def test_the_sdks_own_env_switch_cannot_turn_auth_off(
    make_server: Callable[..., TeamsServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    server = make_server(Settings(), api_factory=teams_only_api)
    assert server.post(message(server.connector.url, "who decides the price?")).status_code == 401
    assert server.connector.posted == []


def test_other_activity_types_are_acknowledged_and_ignored(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    update = message(server.connector.url, None)
    update.update({"type": "conversationUpdate", "membersAdded": [{"id": "29:someone-else"}]})
    assert server.post(update).status_code == 200  # the bot itself being added is welcomed (test_native.py)
    reaction = message(server.connector.url, None)
    reaction.update({"type": "messageReaction", "reactionsAdded": [{"type": "like"}], "replyToId": "activity-1"})
    assert server.post(reaction).status_code == 200
    assert server.connector.posted == [] and server.answerer.calls == []


def test_mounting_from_inside_a_running_event_loop(answerer, feedback_store) -> None:
    import asyncio

    from fastapi import FastAPI

    async def build() -> FastAPI:
        api = FastAPI()
        runtime = build_runtime(
            Settings(teams_allow_unauthenticated=True), answerer=answerer, feedback_store=feedback_store
        )
        teams_app.mount_teams(api, runtime.settings, runtime.conversation)
        return api

    api = asyncio.run(build())
    assert [r.path for r in api.routes if getattr(r, "methods", None) == {"POST"}] == ["/api/messages"]
    assert api.state.teams_app is not None
