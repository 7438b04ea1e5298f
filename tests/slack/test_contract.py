"""The Slack contract, end to end over real HTTP on localhost.

The real server (FastAPI + Bolt under uvicorn) receives v0-signed requests; a real HTTP mock plays the
Web API and response_url. Each test asserts on what reached the mock, and how often.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
import pytest

from bot.render.slack import MAX_BLOCKS, MAX_BUTTON_VALUE, MAX_SECTION_TEXT
from bot.store import EventDedupe, FeedbackStore, make_engine
from tests.fakes.answerer import FakeAnswerer
from tests.fakes.databases import corrupt_sqlite_url, unreachable_postgres_url
from tests.fakes.races import race
from tests.fakes.slack_requests import (
    block_action_body,
    dm,
    event_body,
    mention,
    sign,
    slash_command_body,
)
from tests.fakes.slack_web_api import Failure
from tests.fakes.waiting import eventually
from tests.slack.conftest import slack_settings

APOLOGY = "Sorry, I could not answer that just now"


def dump(call) -> str:
    return json.dumps(call.body, ensure_ascii=False)


def check_limits(body: dict) -> None:
    blocks = body.get("blocks") or []
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
        for element in block.get("elements", []):
            assert len(element.get("value", "")) <= MAX_BUTTON_VALUE


# ------------------------------------------------------------------------------ acknowledge first
def test_slash_command_is_acknowledged_before_the_slow_answer(settings, web_api, start_server):
    gate = threading.Event()
    answerer = FakeAnswerer(gate=gate)
    _, slack = start_server(settings, answerer)
    try:
        # The answer is blocked on the gate, so an ack that arrives at all did not wait for it.
        r = slack.command("who decides the price?", response_url=web_api.response_url())
        assert r.status_code == 200 and r.content == b""
        eventually(lambda: answerer.calls == ["who decides the price?"], what="the answer to start")
        assert web_api.calls("response_url") == []  # the answer is still blocked, yet Slack has its ack
    finally:
        gate.set()
    [answer] = web_api.wait_for("response_url")
    assert answer.body["response_type"] == "ephemeral"
    assert "The *Product Manager* decides" in dump(answer)


@pytest.mark.parametrize("kind", ["mention", "dm", "why-button"])
def test_events_and_clicks_are_acknowledged_before_the_slow_answer(kind, settings, web_api, start_server):
    gate = threading.Event()
    answerer = FakeAnswerer(gate=gate)
    _, slack = start_server(settings, answerer)
    try:
        if kind == "mention":
            r = slack.event(mention("<@UBOT> who decides the price?"))
        elif kind == "dm":
            r = slack.event(dm("who decides the price?"))
        else:
            r = slack.action("whodecides_why", '{"q":"who decides the price?"}', response_url=web_api.response_url())
        assert r.status_code == 200  # acked while the answer is still blocked on the gate
        eventually(lambda: len(answerer.calls) == 1, what="the answer to start")
        assert web_api.calls("chat.postMessage") == [] and web_api.calls("response_url") == []
    finally:
        gate.set()
    web_api.wait_for("response_url" if kind == "why-button" else "chat.postMessage")


# ------------------------------------------------------------------------------ signatures
def _requests(web_api):
    return {
        "command": (
            slash_command_body("who decides the price?", response_url=web_api.response_url()),
            "form",
        ),
        "event": (event_body(mention("<@UBOT> who decides the price?")), "json"),
        "action": (
            block_action_body("whodecides_why", '{"q":"price"}', response_url=web_api.response_url()),
            "form",
        ),
    }


CONTENT_TYPES = {"form": "application/x-www-form-urlencoded", "json": "application/json"}


@pytest.mark.parametrize("kind", ["command", "event", "action"])
@pytest.mark.parametrize("attack", ["wrong-secret", "stale-timestamp", "tampered-body", "no-signature"])
def test_bad_signatures_get_401_and_nothing_runs(kind, attack, settings, web_api, answerer, start_server):
    _, slack = start_server(settings, answerer)
    body, ctype = _requests(web_api)[kind]
    content_type = CONTENT_TYPES[ctype]
    if attack == "wrong-secret":
        r = slack.post(body, content_type, secret="not-the-signing-secret")
    elif attack == "stale-timestamp":  # correctly signed, but 5 min 1 s old
        r = slack.post(body, content_type, timestamp=int(time.time()) - 301)
    elif attack == "tampered-body":
        headers = {"Content-Type": content_type, **sign(body)}  # signed one body, sends another
        r = slack.http.post(slack.url, content=(body + "x").encode(), headers=headers)
    else:
        r = httpx.post(slack.url, content=body.encode(), headers={"Content-Type": content_type})
    assert r.status_code == 401
    web_api.settle()
    assert web_api.calls() == []  # not even auth.test: no listener, no middleware past verification ran
    assert answerer.calls == []


def test_a_timestamp_within_five_minutes_is_accepted(slack, web_api):
    r = slack.command("who decides the price?", response_url=web_api.response_url())
    assert r.status_code == 200
    body = slash_command_body("who orders the backlog?", response_url=web_api.response_url("r2"))
    r = slack.post(body, CONTENT_TYPES["form"], timestamp=int(time.time()) - 240)
    assert r.status_code == 200
    web_api.wait_for("response_url", 2)


# ------------------------------------------------------------------------------ retries and dedupe
def test_a_retry_of_a_handled_event_is_acked_and_not_answered_again(slack, web_api):
    event = mention("<@UBOT> who decides the price?")
    assert slack.event(event, event_id="EvHandled").status_code == 200
    web_api.wait_for("chat.postMessage")
    for retry in (1, 2, 3):
        r = slack.event(event, event_id="EvHandled", retry_num=retry)
        assert r.status_code == 200
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1


def test_a_retry_of_an_unseen_event_is_handled_once(slack, web_api, answerer):
    event = mention("<@UBOT> who orders the backlog?")
    assert slack.event(event, event_id="EvFirstSeenAsRetry", retry_num=1).status_code == 200
    [post] = web_api.wait_for("chat.postMessage")
    assert "Product Owner" in post.body["text"]
    assert slack.event(event, event_id="EvFirstSeenAsRetry", retry_num=2).status_code == 200
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1
    assert answerer.calls == ["who orders the backlog?"]


def test_the_same_event_arriving_at_once_many_times_gets_one_reply(slack, web_api):
    body = event_body(mention("<@UBOT> who decides the price?"), event_id="EvBurst")

    def send(i: int) -> int:
        headers = {"X-Slack-Retry-Num": str(i)} if i else {}
        return slack.post(body, "application/json", headers=headers).status_code

    assert race(send, range(8)) == [200] * 8
    web_api.wait_for("chat.postMessage")
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1


def test_two_servers_sharing_one_database_reply_once(settings, web_api, start_server):
    # Two servers, two engines, two in-process dedupe sets: only the shared database can tell.
    _, slack_a = start_server(settings, FakeAnswerer(), engine=make_engine(settings.database_url))
    _, slack_b = start_server(settings, FakeAnswerer(), engine=make_engine(settings.database_url))
    event = mention("<@UBOT> who decides the price?")
    assert slack_a.event(event, event_id="EvReplica").status_code == 200
    web_api.wait_for("chat.postMessage")
    assert slack_b.event(event, event_id="EvReplica", retry_num=1).status_code == 200
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1
    assert EventDedupe(make_engine(settings.database_url)).claim("EvReplica") is False


# ------------------------------------------------------------------------------ who gets answered
def test_own_and_other_bots_messages_are_ignored(slack, web_api, answerer):
    ignored = [
        mention("<@UBOT> who decides the price?", user="UOTHERBOT", bot_id="BOTHER"),
        mention("<@UBOT> who decides the price?", user="UBOT"),  # ourselves
        dm("who decides the price?", subtype="bot_message", bot_id="BOTHER", user=None),
        dm("who decides the price?", user="UBOT", bot_id="BBOT"),  # our own answer in the DM
        dm("who decides the price?", user="UOTHERBOT", bot_profile={"id": "BOTHER"}),
        dm("edited", subtype="message_changed", message={"text": "who decides the price?"}),
    ]
    for event in ignored:
        assert slack.event(event).status_code == 200
    assert slack.event(dm("who orders the backlog?", channel="DHUMAN")).status_code == 200  # a control
    [post] = web_api.wait_for("chat.postMessage")
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1
    assert post.body["channel"] == "DHUMAN"
    assert answerer.calls == ["who orders the backlog?"]


def test_a_mention_that_also_arrives_as_a_channel_message_gets_one_reply(slack, web_api):
    text = "<@UBOT> who decides the price?"
    assert slack.event(mention(text, ts="1700000000.000500"), event_id="EvMention").status_code == 200
    channel_message = {
        "type": "message",
        "channel_type": "channel",
        "user": "UASKER",
        "text": text,
        "ts": "1700000000.000500",
        "channel": "C0001",
    }
    assert slack.event(channel_message, event_id="EvMessage").status_code == 200
    web_api.wait_for("chat.postMessage")
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1


def test_a_mention_inside_a_dm_gets_one_reply(slack, web_api):
    text = "<@UBOT> who decides the price?"
    slack.event(dm(text, channel="D0009", ts="1700000000.000900"), event_id="EvDmMessage")
    slack.event(mention(text, channel="D0009", ts="1700000000.000900"), event_id="EvDmMention")
    [post] = web_api.wait_for("chat.postMessage")
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1
    assert post.body["channel"] == "D0009"


# ------------------------------------------------------------------------------ escaping and limits
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<@W123|bob>", "<!subteam^S1|@devs>")


def test_questions_that_contain_pings_never_ping(slack, web_api):
    question = "who decides the price " + " ".join(PINGS) + " &amp; &lt;b&gt;?"
    slack.command(question, response_url=web_api.response_url())
    slack.event(mention("<@UBOT> " + question))
    slack.event(dm(question))
    calls = [*web_api.wait_for("response_url"), *web_api.wait_for("chat.postMessage", 2)]
    for call in calls:
        sent = dump(call)
        assert "<!" not in sent and "<@" not in sent, sent  # no special mention, no user mention
        assert "@channel" in sent and "&amp; &lt;b&gt;" in sent  # the question is shown, inert


def test_a_huge_answer_stays_within_slacks_limits(slack, web_api):
    slack.event(mention("<@UBOT> the huge question about price " + "x" * 20_000))
    slack.command("the huge question " * 1000, response_url=web_api.response_url())
    for call in [*web_api.wait_for("chat.postMessage"), *web_api.wait_for("response_url")]:
        assert call.body.get("blocks")
        check_limits(call.body)
        assert len(call.body["text"]) <= 3000


# ------------------------------------------------------------------------------ Web API failures
def test_a_429_is_retried_after_its_retry_after(slack, web_api):
    web_api.fail_next("chat.postMessage", Failure("429", retry_after=1))
    slack.event(mention("<@UBOT> who decides the price?"))
    web_api.wait_for("chat.postMessage")
    first, second = web_api.calls("chat.postMessage", delivered_only=False)
    assert (first.outcome, second.outcome) == ("429", "ok")
    assert second.at - first.at >= 1.0  # waited Retry-After
    assert "Product Manager" in second.body["text"]


@pytest.mark.parametrize("failure", ["500", "502", "503", "drop"])
def test_server_errors_and_dropped_connections_are_retried(failure, slack, web_api):
    web_api.fail_next("chat.postMessage", failure)
    slack.event(mention("<@UBOT> who decides the price?"))
    web_api.wait_for("chat.postMessage")
    outcomes = [c.outcome for c in web_api.calls("chat.postMessage", delivered_only=False)]
    assert outcomes == [failure, "ok"]
    assert web_api.calls("chat.postMessage")[0].body.get("blocks")  # the answer itself, not an apology


def test_when_the_answer_cannot_be_sent_the_user_gets_an_apology(slack, web_api):
    web_api.fail_next("chat.postMessage", "500", "500", "500")  # the first try and both retries
    slack.event(mention("<@UBOT> who decides the price?"))
    [apology] = web_api.wait_for("chat.postMessage")
    assert [c.outcome for c in web_api.calls("chat.postMessage", delivered_only=False)] == ["500"] * 3 + ["ok"]
    assert apology.body["text"].startswith(APOLOGY) and not apology.body.get("blocks")
    assert apology.body["thread_ts"] == "1700000000.000100"


def test_a_rejected_answer_ok_false_gets_an_apology(slack, web_api):
    web_api.fail_next("chat.postMessage", Failure("error", error="invalid_blocks"))
    slack.event(dm("who decides the price?"))
    [apology] = web_api.wait_for("chat.postMessage")
    assert apology.body["text"].startswith(APOLOGY)


def test_response_url_failures_are_retried(slack, web_api):
    web_api.fail_next("response_url", "503", "drop")
    slack.command("who decides the price?", response_url=web_api.response_url())
    [answer] = web_api.wait_for("response_url")
    assert [c.outcome for c in web_api.calls("response_url", delivered_only=False)] == ["503", "drop", "ok"]
    assert "Product Manager" in answer.body["text"]


def test_when_response_url_keeps_failing_the_user_still_hears_back(slack, web_api):
    web_api.fail_next("response_url", "500", "500", "500")
    slack.command("who decides the price?", response_url=web_api.response_url())
    [apology] = web_api.wait_for("response_url")
    assert apology.body["text"].startswith(APOLOGY)

    web_api.reset()
    web_api.fail_next("response_url", *(["500"] * 6))  # answer and apology both lost
    slack.command("who decides the price?", response_url=web_api.response_url())
    [ephemeral] = web_api.wait_for("chat.postEphemeral")
    assert ephemeral.body["user"] == "UASKER" and ephemeral.body["channel"] == "C0001"
    assert "Product Manager" in ephemeral.body["text"]


def test_an_answerer_crash_is_an_apology_not_silence(slack, web_api, caplog):
    with caplog.at_level(logging.ERROR):
        slack.command("boom: who decides the price?", response_url=web_api.response_url())
        slack.event(mention("<@UBOT> boom"))
        [reply] = web_api.wait_for("response_url")
        [post] = web_api.wait_for("chat.postMessage")
    assert reply.body["text"].startswith(APOLOGY) and post.body["text"].startswith(APOLOGY)
    assert "Traceback" not in dump(reply) and "RuntimeError" not in dump(post)
    assert "the answerer failed" in caplog.text


# ------------------------------------------------------------------------------ the database is down
@pytest.mark.parametrize("broken", ["corrupt-sqlite", "unreachable-postgres"])
def test_database_down_answers_still_flow_and_lost_feedback_is_logged(
    broken, web_api, tmp_path, answerer, start_server, caplog
):
    url = corrupt_sqlite_url(tmp_path) if broken == "corrupt-sqlite" else unreachable_postgres_url()
    settings = slack_settings(web_api, tmp_path, database_url=url)
    with caplog.at_level(logging.INFO):
        _, slack = start_server(settings, answerer)
        assert slack.command("who decides the price?", response_url=web_api.response_url()).status_code == 200
        [answer] = web_api.wait_for("response_url")
        assert "Product Manager" in answer.body["text"]

        event = mention("<@UBOT> who orders the backlog?")
        assert slack.event(event, event_id="EvDbDown").status_code == 200
        web_api.wait_for("chat.postMessage")
        assert slack.event(event, event_id="EvDbDown", retry_num=1).status_code == 200  # still one reply

        value = '{"q":"who decides the price?","r":"PM","a":"a1"}'
        slack.action("whodecides_feedback_up", value, response_url=web_api.response_url("fb"))
        web_api.wait_for("response_url", 2)
        web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1
    thanks = web_api.calls("response_url")[1]
    assert "could not be saved" in thanks.body["text"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("database unavailable at start" in m for m in errors)
    assert any("degraded dedupe" in m for m in errors)
    assert any("feedback LOST" in m for m in errors)


def test_a_hanging_database_degrades_dedupe_and_the_event_is_answered_once(
    settings, web_api, answerer, start_server, caplog
):
    """A database that hangs (here: SQLite locked by another process) counts as down for the dedupe."""
    import sqlite3

    _, slack = start_server(settings, answerer)  # creates the schema
    path = settings.database_url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # every write now waits for SQLite's busy timeout
    try:
        with caplog.at_level(logging.ERROR):
            event = mention("<@UBOT> who decides the price?")
            assert slack.event(event, event_id="EvLocked").status_code == 200
            web_api.wait_for("chat.postMessage")
            assert slack.event(event, event_id="EvLocked", retry_num=1).status_code == 200
            web_api.settle()
        assert len(web_api.calls("chat.postMessage")) == 1  # this process remembers it answered
        assert "degraded dedupe" in caplog.text
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_stopping_the_server_still_delivers_answers_already_acked(settings, web_api, start_server, caplog):
    gate = threading.Event()
    answerer = FakeAnswerer(gate=gate)
    server, slack = start_server(settings, answerer)
    with caplog.at_level(logging.INFO):
        assert slack.command("who decides the price?", response_url=web_api.response_url()).status_code == 200
        eventually(lambda: answerer.calls, what="the answer to start")
        server.server.should_exit = True  # SIGTERM during a deploy
        eventually(lambda: "answer(s) in flight" in caplog.text, what="the shutdown to wait for the answer")
        gate.set()
        [answer] = web_api.wait_for("response_url")
    assert "Product Manager" in answer.body["text"]
    server.stop()


# ------------------------------------------------------------------------------ SLACK_API_URL, health
def test_every_web_api_call_goes_to_slack_api_url_with_the_bot_token(slack, web_api):
    slack.event(mention("<@UBOT> who decides the price?"))
    slack.event({"type": "app_home_opened", "user": "UASKER", "channel": "D0001", "tab": "home"})
    web_api.wait_for("chat.postMessage")
    web_api.wait_for("views.publish")
    calls = web_api.calls()
    assert {c.method for c in calls} >= {"auth.test", "chat.postMessage", "views.publish"}
    for call in calls:
        assert call.path.startswith("/api/")
        assert call.headers["authorization"] == "Bearer xoxb-test-token"


def test_healthz_and_disabled_slack(settings, web_api, tmp_path, answerer, start_server):
    server, _ = start_server(settings, answerer)
    health = httpx.get(server.url + "/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["slack"] is True

    bare = slack_settings(web_api, tmp_path, slack_bot_token=None, slack_signing_secret=None)
    server, sender = start_server(bare, answerer)
    assert httpx.get(server.url + "/healthz").json()["slack"] is False
    r = sender.command("who decides the price?", response_url=web_api.response_url())
    assert r.status_code in (404, 405)


def test_feedback_is_visible_from_another_process(settings, web_api, slack):
    value = '{"q":"who decides the price?","r":"PM","a":"a1"}'
    slack.action("whodecides_feedback_down", value, response_url=web_api.response_url())
    web_api.wait_for("response_url")
    assert FeedbackStore(make_engine(settings.database_url)).summary() == {"up": 0, "down": 1}


def test_every_web_client_the_app_creates_uses_slack_api_url(web_api, tmp_path, answerer, monkeypatch):
    """Bolt's client, per-request clients, the OAuth flow's, token rotation's and Socket Mode's."""
    import asyncio
    import inspect

    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.app import build_slack_app
    from bot.slack.socket_mode import build_socket_handler

    created: list[str] = []
    original_init = AsyncWebClient.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        # AsyncOAuthSettings.__init__ always builds a default authorizer (and its client); build_slack_app
        # replaces it at once (checked below), so that throwaway client is never used.
        if not any(f.filename.endswith("async_oauth_settings.py") for f in inspect.stack()[1:6]):
            created.append(self.base_url)

    monkeypatch.setattr(AsyncWebClient, "__init__", recording_init)

    single = slack_settings(web_api, tmp_path, slack_app_token="xapp-1-test")
    oauth = slack_settings(web_api, tmp_path, slack_bot_token=None, slack_client_id="1.2", slack_client_secret="s")
    from bot.runtime import build_runtime

    apps = [build_slack_app(s, build_runtime(s, answerer=answerer)) for s in (single, oauth)]
    authorize = apps[1].oauth_flow.settings.authorize
    assert authorize.token_rotator.client.base_url == web_api.base_url
    assert apps[1].oauth_flow.client.base_url == web_api.base_url

    async def socket_client() -> None:
        handler = build_socket_handler(single, apps[0])
        assert handler.client.web_client.base_url == web_api.base_url
        await handler.close_async()

    asyncio.run(socket_client())
    assert created and set(created) == {web_api.base_url}
