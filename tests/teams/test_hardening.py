"""Issue 14, Teams side: malformed or deeply nested bodies get 400, oversized ones 413, and a conversation id
never steers the reply to another path on the connector."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.live_server import raw_exchange
from tests.fakes.waiting import eventually
from tests.teams.conftest import message


def _problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---------------------------------------------------------------- defect 8
def test_deeply_nested_json_is_400_not_a_recursion_error(unauthenticated_server, caplog):
    caplog.clear()
    r = unauthenticated_server.client.post(
        f"{unauthenticated_server.url}/api/messages",
        content=b"[" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert all(r.exc_info is None for r in _problems(caplog))


def _malformed(service_url: str) -> dict[str, dict]:
    ok = message(service_url, "who decides the price?")
    no_conversation = {k: v for k, v in ok.items() if k != "conversation"}
    no_from = {k: v for k, v in ok.items() if k != "from"}
    return {
        "missing-conversation": no_conversation,
        "missing-from": no_from,
        "text-int": {**ok, "text": 12345},
        "type-null": {**ok, "type": None},
        "empty-object": {},
        "conversation-string": {**ok, "conversation": "a:1"},
        "from-list": {**ok, "from": ["29:x"]},
    }


MALFORMED = list(_malformed("http://127.0.0.1:1"))


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_activity_is_400_without_a_traceback(unauthenticated_server, connector, caplog, name):
    activity = _malformed(connector.url)[name]
    caplog.clear()
    r = unauthenticated_server.post(activity)
    assert r.status_code == 400, r.text
    problems = _problems(caplog)
    assert len(problems) == 1 and problems[0].exc_info is None, [p.getMessage() for p in problems]
    assert connector.posted == []


def test_a_well_formed_activity_is_still_answered(unauthenticated_server, connector):
    assert unauthenticated_server.post({}).status_code == 400
    r = unauthenticated_server.post(message(connector.url, "who decides the price?"))
    assert r.status_code == 200
    eventually(lambda: connector.messages, what="the answer")


# ---------------------------------------------------------------- defect 9
def test_a_teams_body_over_one_megabyte_is_413_before_it_is_read(unauthenticated_server):
    port = int(unauthenticated_server.url.rsplit(":", 1)[1])
    head = (
        b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 104857600\r\n\r\n"
    )
    data = raw_exchange(port, head, b"{" + b" " * 65535)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]


# ---------------------------------------------------------------- defect 12
def test_the_conversation_id_is_url_encoded_in_the_reply_url(unauthenticated_server, connector):
    activity = message(connector.url, "who decides the price?")
    evil = "../../../../evil/path?x="
    activity["conversation"] = {"conversationType": "personal", "id": evil}
    assert unauthenticated_server.post(activity).status_code == 200
    eventually(lambda: connector.messages, what="a reply on the connector")
    paths = {p.conversation_id for p in connector.posted}
    assert paths == {evil}  # the connector decoded one path segment back to the id
    assert all(p.activity["conversation"]["id"] == evil for p in connector.posted)


def test_a_real_teams_channel_id_round_trips(unauthenticated_server, connector):
    activity = message(connector.url, "who decides the price?", scope="channel", mention=True)
    assert unauthenticated_server.post(activity).status_code == 200
    eventually(lambda: connector.messages, what="a reply on the connector")
    assert connector.messages[0].conversation_id == activity["conversation"]["id"]
