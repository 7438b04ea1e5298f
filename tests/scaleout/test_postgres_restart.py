"""PostgreSQL goes away under two running replicas and comes back: answers keep flowing (dedupe
degraded, with a logged error), and dedupe across replicas works again without restarting them."""

from __future__ import annotations

import pytest

from bot.render.slack import ACTION_FEEDBACK_UP, button_value
from bot.store import EventDedupe, FeedbackStore, make_engine
from tests.fakes.slack_requests import mention
from tests.fakes.waiting import eventually
from tests.scaleout.replicas import wait_replies

pytestmark = pytest.mark.postgres

QUESTION = "<@UBOT> who decides the price of the product?"


def ts(i: int) -> str:
    return f"1700000200.{i:06d}"


def degraded(replica) -> int:
    return sum("ERROR" in line and "degraded dedupe" in line for line in replica.stderr().splitlines())


def test_postgres_restarted_mid_run(postgres_factory, web_api, replica_factory):
    pg = postgres_factory()
    url = pg.create_database()
    a, b = replica_factory(url, web_api, "a", "b")

    # 1. Healthy: an event on A and its retry on B, one reply.
    a.sender.event(mention(QUESTION, channel="CUP", ts=ts(1)), event_id="EvBefore")
    b.sender.event(mention(QUESTION, channel="CUP", ts=ts(1)), event_id="EvBefore", retry_num=1)
    assert {k: len(v) for k, v in wait_replies(web_api, "CUP", threads=1).items()} == {ts(1): 1}
    assert degraded(a) == degraded(b) == 0

    # 2. PostgreSQL goes down.
    pg.stop()
    for i in range(3):
        event = mention(QUESTION, channel="CDOWN", ts=ts(10 + i))
        assert a.sender.event(event, event_id=f"EvDown{i}").status_code == 200
        # A retry to the same replica is still caught, in memory.
        assert a.sender.event(event, event_id=f"EvDown{i}", retry_num=1).status_code == 200
    replies = wait_replies(web_api, "CDOWN", threads=3)
    assert {k: len(v) for k, v in replies.items()} == {ts(10 + i): 1 for i in range(3)}
    assert all("Product Manager" in bodies[0]["text"] for bodies in replies.values())
    eventually(lambda: degraded(a) >= 3, what="A logging degraded dedupe as an error")
    # Feedback while the database is down: acknowledged to the clicker, and the loss is logged.
    value = button_value(q="who decides the price of the product?", r="PM", a="down")
    b.sender.action(ACTION_FEEDBACK_UP, value, response_url=web_api.response_url("fb-down"))
    ack = web_api.wait_for("response_url")[0]
    assert "could not be saved" in ack.body["text"]
    eventually(lambda: "feedback LOST" in b.stderr(), what="B logging the lost feedback")

    # 3. PostgreSQL is back, same port and data; the replicas were never restarted.
    pg.start()
    degraded_before = degraded(a), degraded(b)
    for i in range(3):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        event = mention(QUESTION, channel="CBACK", ts=ts(20 + i))
        assert first.sender.event(event, event_id=f"EvAfter{i}").status_code == 200
        wait_replies(web_api, "CBACK", threads=i + 1)
        # The retry lands on the other replica, which never saw it: only the database can stop it.
        assert second.sender.event(event, event_id=f"EvAfter{i}", retry_num=1).status_code == 200
    replies = wait_replies(web_api, "CBACK", threads=3)
    assert {k: len(v) for k, v in replies.items()} == {ts(20 + i): 1 for i in range(3)}
    assert (degraded(a), degraded(b)) == degraded_before  # dedupe went through the database again
    eventually(lambda: "EvAfter0 already handled" in b.stderr(), what="B refusing A's event from the database")
    eventually(lambda: "EvAfter1 already handled" in a.stderr(), what="A refusing B's event from the database")

    # Feedback is stored again, and the events claimed before the outage are still claimed.
    value = button_value(q="who decides the price of the product?", r="PM", a="back")
    a.sender.action(ACTION_FEEDBACK_UP, value, response_url=web_api.response_url("fb-back"))
    acks = web_api.wait_for("response_url", 2)
    assert acks[1].body["text"] == "Thanks for the feedback! 👍"
    reader = make_engine(url)
    assert FeedbackStore(reader).summary() == {"up": 1, "down": 0}
    assert EventDedupe(reader).claim("EvBefore") is False
    assert EventDedupe(reader).claim("EvAfter2") is False


def test_replicas_started_while_postgres_is_down_set_the_schema_up_when_it_returns(
    postgres_factory, web_api, replica_factory
):
    pg = postgres_factory()
    url = pg.create_database()
    pg.stop()
    a, b = replica_factory(url, web_api, "a", "b")  # they start, and answer, without a database
    assert "database unavailable at start" in a.stderr()

    a.sender.event(mention(QUESTION, channel="CNODB", ts=ts(30)), event_id="EvNoDb")
    assert {k: len(v) for k, v in wait_replies(web_api, "CNODB", threads=1).items()} == {ts(30): 1}

    pg.start()  # an empty database: the first store call creates the schema
    b.sender.event(mention(QUESTION, channel="CLATE", ts=ts(31)), event_id="EvLate")
    wait_replies(web_api, "CLATE", threads=1)
    a.sender.event(mention(QUESTION, channel="CLATE", ts=ts(31)), event_id="EvLate", retry_num=1)
    assert {k: len(v) for k, v in wait_replies(web_api, "CLATE", threads=1).items()} == {ts(31): 1}
    eventually(lambda: "EvLate already handled" in a.stderr(), what="A refusing B's event from the database")
