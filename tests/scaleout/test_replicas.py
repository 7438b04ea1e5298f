"""Two real `whodecides serve` replicas on one real PostgreSQL behave as one bot.

Driven like Slack drives them: v0-signed HTTP requests; replies caught by a local Web API mock.
The replicas run the real Answerer on a real index.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import FeedbackStore, make_engine
from tests.fakes.races import race
from tests.fakes.slack_requests import feedback_values, mention
from tests.fakes.waiting import eventually
from tests.scaleout.replicas import wait_replies

pytestmark = pytest.mark.postgres

PRICE = "<@UBOT> who should decide the pricing of the enterprise tier, the PO or the PM?"
BACKLOG = "<@UBOT> who orders the product backlog?"


def ts(i: int) -> str:
    return f"1700000100.{i:06d}"


def test_an_event_on_a_and_its_retry_on_b_get_one_reply(pg_url, web_api, replica_factory):
    a, b = replica_factory(pg_url, web_api, "a", "b")
    event = mention(PRICE, channel="CRETRY", ts=ts(1))

    assert a.sender.event(event, event_id="EvRetryAB").status_code == 200
    wait_replies(web_api, "CRETRY", threads=1)
    # Slack gave up waiting on A and retries; the load balancer sends the retry to B.
    assert b.sender.event(event, event_id="EvRetryAB", retry_num=1).status_code == 200
    # And a second retry back to A, which has it in memory and in the database.
    assert a.sender.event(event, event_id="EvRetryAB", retry_num=2).status_code == 200

    replies = wait_replies(web_api, "CRETRY", threads=1)
    assert len(replies[ts(1)]) == 1
    assert "Product Manager" in replies[ts(1)][0]["text"]
    # B learnt it from the database: it never saw the event before.
    eventually(lambda: "EvRetryAB already handled" in b.stderr(), what="B acknowledging the retry unanswered")


def test_an_unseen_retry_on_b_is_answered_once(pg_url, web_api, replica_factory):
    a, b = replica_factory(pg_url, web_api, "a", "b")
    event = mention(BACKLOG, channel="CUNSEEN", ts=ts(2))
    # A lost the original (crashed before claiming); B gets only the retry, and answers it.
    assert b.sender.event(event, event_id="EvUnseen", retry_num=1).status_code == 200
    assert a.sender.event(event, event_id="EvUnseen", retry_num=2).status_code == 200
    replies = wait_replies(web_api, "CUNSEEN", threads=1)
    assert len(replies[ts(2)]) == 1
    assert "Product Owner" in replies[ts(2)][0]["text"]


def test_the_same_event_on_both_replicas_at_the_same_instant_gets_one_reply(pg_url, web_api, replica_factory):
    a, b = replica_factory(pg_url, web_api, "a", "b")
    events = 20
    statuses: list[int] = []

    def deliver(replica, event: dict, event_id: str) -> int:
        return replica.sender.event(event, event_id=event_id).status_code

    for i in range(events):
        event = mention(PRICE if i % 2 else BACKLOG, channel="CRACE", ts=ts(100 + i))
        # The same event to both replicas at the same instant.
        statuses += race(functools.partial(deliver, event=event, event_id=f"EvRace{i:03d}"), (a, b), timeout=60)

    assert statuses == [200] * (2 * events)  # both replicas acknowledge every delivery
    replies = wait_replies(web_api, "CRACE", threads=events)
    assert sorted(replies) == sorted(ts(100 + i) for i in range(events))
    assert {thread: len(bodies) for thread, bodies in replies.items()} == {ts(100 + i): 1 for i in range(events)}
    # Exactly one loser per event, on whichever replica lost.
    logs = a.stderr() + b.stderr()
    for i in range(events):
        assert logs.count(f"EvRace{i:03d} already handled") == 1, f"EvRace{i:03d}"


def test_feedback_clicked_on_a_is_visible_when_read_on_b(pg_url, web_api, replica_factory):
    a, b = replica_factory(pg_url, web_api, "a", "b")
    report = FeedbackStore(make_engine(pg_url))  # a reader of its own: any process on the same database
    assert report.summary() == {"up": 0, "down": 0}

    assert b.sender.event(mention(PRICE, channel="CFEED", ts=ts(7)), event_id="EvFeed1").status_code == 200
    assert a.sender.event(mention(BACKLOG, channel="CFEED", ts=ts(8)), event_id="EvFeed2").status_code == 200
    replies = wait_replies(web_api, "CFEED", threads=2)
    price, backlog = replies[ts(7)][0], replies[ts(8)][0]

    # 👍 on the answer B gave, clicked through A; 👎 on A's answer, clicked through B.
    up = a.sender.feedback(feedback_values(price)["up"], response_url=web_api.response_url("fb-up"))
    down = b.sender.feedback(
        feedback_values(backlog)["down"], response_url=web_api.response_url("fb-down"), user="UOTHER"
    )
    assert up.status_code == down.status_code == 200
    acks = web_api.wait_for("response_url", 2)
    assert {c.path: c.body["text"] for c in acks} == {
        "/response/fb-up": "Thanks for the feedback! 👍",
        "/response/fb-down": "Thanks, noted: not helpful. 👎",
    }

    assert report.summary() == {"up": 1, "down": 1}
    assert report.summary(platform="slack") == {"up": 1, "down": 1}
    # The rows carry what was clicked, whichever replica stored them.
    from sqlalchemy import select

    from bot.store.tables import feedback

    with report.engine.connect() as conn:
        rows = {r.vote: r for r in conn.execute(select(feedback))}
    assert rows["up"].recommendation == "PM" and rows["up"].user_id == "UCLICKER"
    assert rows["down"].recommendation == "PO" and rows["down"].user_id == "UOTHER"
    assert "enterprise tier" in rows["up"].question
    assert not any("feedback LOST" in r.stderr() for r in (a, b))

    # The report command, as an operator would run it on any replica's machine.
    script = Path(sys.executable).parent / "whodecides"
    env = {**os.environ, "DATABASE_URL": pg_url}
    out = subprocess.run([str(script), "feedback", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert sorted(
        json.loads(line)["recommendation"] + json.loads(line)["vote"] for line in out.stdout.splitlines()
    ) == [
        "PMup",
        "POdown",
    ]
