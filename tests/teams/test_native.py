"""Teams-native features (issue 12) over HTTP: Bot Framework activities and invokes POSTed to a real server,
replies caught by the local connector.

Citations and the feedback loop on every answer, Teams' 👍/👎 stored with a reason, the welcome when the bot
is added (and only then), and the "Who decides this?" message action. test_auth.py-style signed requests
are covered at the end.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from bot import texts
from bot.render import teams as render
from bot.render.teams_extension import SEND_ACTION
from bot.results import EXAMPLE_QUESTIONS, HEADLINES
from bot.store.tables import feedback
from bot.teams import extension
from bot.teams.feedback_loop import UNREMEMBERED_QUESTION
from tests.teams.conftest import (
    ANN,
    APP_ID,
    BOT,
    CHANNEL,
    TENANT_ID,
    NetworkGuard,
    TeamsServer,
    feedback_invoke,
    invoke,
    make_token,
    message,
)

PERSONAL_CHAT = "a:1personal-chat-id"
HTML_QUESTION = "<p>Hi <at>Bob</at>, who decides the <b>price</b> of the enterprise&nbsp;tier?</p>"


def rows(server: TeamsServer) -> list[dict[str, Any]]:
    with server.feedback_store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(feedback))]


def citation_entity(activity: dict[str, Any]) -> dict[str, Any]:
    [entity] = [e for e in activity.get("entities") or [] if "citation" in e]
    return entity


def ask(server: TeamsServer, text: str, **kwargs: Any) -> dict[str, Any]:
    assert server.post(message(server.connector.url, text, **kwargs)).status_code == 200
    return server.connector.messages[-1].activity


# ---------------------------------------------------------------- citations and the feedback loop
def test_an_answer_cites_each_shown_passage_and_turns_the_feedback_loop_on(
    unauthenticated_server: TeamsServer,
) -> None:
    server = unauthenticated_server
    activity = ask(server, "who decides the price?")
    [card] = server.connector.messages[-1].cards()
    assert card["body"][0]["text"] == HEADLINES["PM"]
    assert activity["text"] == "The Product Manager decides, based on [1], [2] and [3]."
    entity = citation_entity(activity)
    assert entity["type"] == "https://schema.org/Message" and entity["@type"] == "Message"
    citations = entity["citation"]
    assert [c["position"] for c in citations] == [1, 2, 3]  # one per passage the card quotes
    quoted = json.dumps(card, ensure_ascii=False).split("“Passage ")[1:]
    assert len(quoted) == len(citations)
    first = citations[0]["appearance"]
    assert first["name"] == "Source <0> & co"
    assert first["abstract"].startswith("Passage 0: The Product Manager owns the vision & <strategy>")
    assert len(first["abstract"]) <= 160 and first["keywords"] == ["Roles"]
    hover = json.loads(first["text"])  # the passage in full, in its own small card
    assert hover["type"] == "AdaptiveCard" and "Passage 0:" in json.dumps(hover)
    # The card numbers its passages as the markers do.
    assert "[1] Source <0> & co" in json.dumps(card, ensure_ascii=False)
    assert activity["channelData"]["feedbackLoopEnabled"] is True
    assert "feedbackLoop" not in activity["channelData"]  # Teams refuses both at once
    assert activity["summary"] == HEADLINES["PM"]


def test_a_channel_answer_has_them_too_and_not_sure_has_an_empty_citation_list(
    unauthenticated_server: TeamsServer,
) -> None:
    server = unauthenticated_server
    activity = ask(server, "<at>whodecides</at> who orders the backlog?", scope="channel", mention=True)
    assert len(citation_entity(activity)["citation"]) == 3
    assert activity["channelData"]["feedbackLoopEnabled"] is True

    unsure = ask(server, "what's for lunch?")
    assert unsure["text"] == HEADLINES["UNKNOWN"] + "."  # nothing quoted, nothing cited
    assert citation_entity(unsure)["citation"] == []
    assert unsure["channelData"]["feedbackLoopEnabled"] is True


def test_help_and_notices_are_not_answers_and_carry_neither(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    help_reply = ask(server, "help")
    assert "entities" not in help_reply or not any("citation" in e for e in help_reply["entities"])
    assert "feedbackLoopEnabled" not in json.dumps(help_reply)


def test_a_refused_card_falls_back_to_text_that_still_cites(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    server.connector.fail_messages.append(413)
    activity = ask(server, "who decides the price?")
    assert not activity.get("attachments")
    assert activity["text"].startswith("The Product Manager decides")
    assert activity["text"].endswith("based on [1], [2] and [3].")
    assert len(citation_entity(activity)["citation"]) == 3
    assert activity["channelData"]["feedbackLoopEnabled"] is True


def test_a_huge_answer_stays_within_the_limits_teams_sets(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    activity = ask(server, "huge answer please")
    assert len(json.dumps(activity, ensure_ascii=False).encode()) < 28_000
    for citation in citation_entity(activity)["citation"]:
        assert len(citation["appearance"]["name"]) <= 80 and len(citation["appearance"]["abstract"]) <= 160


# ---------------------------------------------------------------- Teams' 👍/👎 (message/submitAction)
def answered(server: TeamsServer, text: str = "who decides the price?", **kwargs: Any) -> str:
    """Ask, and return the id of the answer message (what Teams names in the feedback invoke)."""
    ask(server, text, **kwargs)
    answer_id = server.connector.messages[-1].id
    server.connector.clear()
    return answer_id


@pytest.mark.parametrize(
    ("reaction", "words", "vote", "reason"),
    [
        ("like", "", "up", None),
        ("like", "Clear, and the quote helped", "up", None),
        ("dislike", "", "down", None),
        ("dislike", "Wrong role: it's the PO here", "down", "wrong_role"),
        ("dislike", "Should be the Product Owner", "down", "wrong_role"),
        ("dislike", "Right person but the rationale is off", "down", "wrong_reason"),
        ("dislike", "You misunderstood my question", "down", "misunderstood"),
        ("dislike", "Too long to read", "down", "other"),
    ],
)
def test_feedback_loop_votes_are_stored_with_reason_and_comment(
    unauthenticated_server: TeamsServer, reaction: str, words: str, vote: str, reason: str | None
) -> None:
    server = unauthenticated_server
    answer_message = answered(server)
    feedback_text = json.dumps({"feedbackText": words})
    response = server.post(feedback_invoke(server.connector.url, reaction, feedback_text, reply_to=answer_message))
    assert response.status_code == 200
    [row] = rows(server)
    assert (row["platform"], row["vote"], row["reason"]) == ("teams", vote, reason)
    assert row["comment"] == (words or None)
    assert (row["question"], row["recommendation"]) == ("who decides the price?", "PM")
    assert (row["user_id"], row["workspace"]) == (ANN["aadObjectId"], TENANT_ID)
    assert row["answer_id"] and len(row["answer_id"]) == 32  # the Conversation's answer id, not Teams'
    [ack] = server.connector.messages
    assert ack.activity["text"] == texts.THANKS[vote] and ack.conversation_id == PERSONAL_CHAT


def test_feedback_in_a_channel_thread_finds_its_answer(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    root = "1700000000042"
    answer_message = answered(
        server, "<at>whodecides</at> who orders the backlog?", scope="channel", mention=True, activity_id=root
    )
    words = json.dumps({"feedbackText": "wrong role"})
    invoke_ = feedback_invoke(server.connector.url, "dislike", words, reply_to=answer_message, scope="channel")
    invoke_["conversation"]["id"] = f"{CHANNEL};messageid={root}"
    assert server.post(invoke_).status_code == 200
    [row] = rows(server)
    assert (row["question"], row["recommendation"], row["reason"]) == ("who orders the backlog?", "PO", "wrong_role")
    assert server.connector.messages[0].conversation_id == f"{CHANNEL};messageid={root}"


def test_feedback_on_an_answer_this_server_does_not_remember_is_still_kept(
    unauthenticated_server: TeamsServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = unauthenticated_server
    text = json.dumps({"feedbackText": "should be the PM"})
    assert (
        server.post(feedback_invoke(server.connector.url, "dislike", text, reply_to="1699999999999")).status_code == 200
    )
    [row] = rows(server)
    assert (row["vote"], row["reason"], row["comment"]) == ("down", "wrong_role", "should be the PM")
    assert (row["question"], row["recommendation"], row["answer_id"]) == (
        UNREMEMBERED_QUESTION,
        "UNKNOWN",
        "1699999999999",
    )
    assert "does not remember" in caplog.text


@pytest.mark.parametrize(
    "feedback_value",
    [
        "not json at all",  # taken as typed
        json.dumps({"feedbackText": 42}),  # no usable text
        json.dumps(["a", "list"]),
    ],
)
def test_odd_feedback_text_never_loses_the_vote(unauthenticated_server: TeamsServer, feedback_value: str) -> None:
    server = unauthenticated_server
    answer_message = answered(server)
    server.post(feedback_invoke(server.connector.url, "dislike", feedback_value, reply_to=answer_message))
    [row] = rows(server)
    assert row["vote"] == "down" and row["question"] == "who decides the price?"


def test_a_reaction_teams_does_not_define_is_refused_with_a_short_message(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    bad = feedback_invoke(server.connector.url, "meh", "", reply_to="activity-1")
    response = server.post(bad)
    assert response.status_code == 400  # not a valid activity: Teams only sends like/dislike
    assert rows(server) == [] and server.connector.posted == []


# ---------------------------------------------------------------- welcome
def conversation_update(server: TeamsServer, members: list[dict[str, Any]], scope: str = "personal") -> int:
    activity = message(server.connector.url, None, scope=scope)
    activity.update({"type": "conversationUpdate", "membersAdded": members})
    activity.pop("text", None)
    if scope == "channel":
        activity["conversation"]["id"] = CHANNEL  # the team's General channel
        activity["channelData"]["eventType"] = "teamMemberAdded"
    return server.post(activity).status_code


def test_the_bot_added_to_a_personal_chat_says_welcome_once(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    assert conversation_update(server, [dict(BOT)]) == 200
    [welcome] = server.connector.messages
    assert welcome.conversation_id == PERSONAL_CHAT
    [card] = welcome.cards()
    assert texts.WELCOME in json.dumps(card, ensure_ascii=False)
    asks = [a["data"] for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    assert [a["question"] for a in asks] == list(EXAMPLE_QUESTIONS[:3])
    assert all(a["action"] == render.ASK_ACTION for a in asks)
    assert server.answerer.calls == []

    # Clicking an example asks it.
    server.connector.clear()
    server.post(message(server.connector.url, None, value=asks[1], reply_to=welcome.id))
    assert server.answerer.calls == [EXAMPLE_QUESTIONS[1]]


def test_the_bot_added_to_a_team_welcomes_the_team_and_not_each_new_member(
    unauthenticated_server: TeamsServer,
) -> None:
    server = unauthenticated_server
    conversation_update(server, [dict(BOT)], scope="channel")
    [welcome] = server.connector.messages
    assert welcome.conversation_id == CHANNEL  # a new post in the General channel, not a thread reply
    server.connector.clear()
    # People joining later, one by one or together: no welcome again.
    conversation_update(server, [{"id": "29:new-colleague", "aadObjectId": "aad-new"}], scope="channel")
    conversation_update(server, [{"id": "29:a"}, {"id": "29:b"}], scope="channel")
    conversation_update(server, [{"id": "29:c"}])
    assert server.connector.posted == []


def test_installation_update_alone_sends_nothing(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    activity = message(server.connector.url, None)
    activity.update({"type": "installationUpdate", "action": "add"})
    assert server.post(activity).status_code == 200
    assert server.connector.posted == []  # Teams also sends conversationUpdate: that one welcomes


# ---------------------------------------------------------------- "Who decides this?" on a message
def payload(content: str, content_type: str = "html") -> dict[str, Any]:
    return {
        "id": "1700000000077",
        "messageType": "message",
        "createdDateTime": "2026-11-02T10:00:00.000Z",
        "from": {"user": {"id": "aad-bob", "displayName": "Bob"}},
        "body": {"contentType": content_type, "content": content},
        "attachments": [],
        "mentions": [],
        "reactions": [],
    }


def action_value(content: str | None, data: Any = None, content_type: str = "html") -> dict[str, Any]:
    value: dict[str, Any] = {"commandId": "whodecidesThis", "commandContext": "message"}
    if content is not None:
        value["messagePayload"] = payload(content, content_type)
    if data is not None:
        value["data"] = data
    return value


def test_submit_action_on_a_message_answers_with_a_card_to_send(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    request = invoke(
        server.connector.url, "composeExtension/submitAction", action_value(HTML_QUESTION), scope="channel"
    )
    response = server.post(request)
    assert response.status_code == 200
    assert server.answerer.calls == ["Hi Bob, who decides the price of the enterprise tier?"]
    result = response.json()["composeExtension"]
    assert result["type"] == "result" and result["attachmentLayout"] == "list"
    [attachment] = result["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["body"][0]["text"] == HEADLINES["PM"]  # names the role
    dumped = json.dumps(card, ensure_ascii=False)
    assert "Action.Submit" not in dumped  # it may be sent where the bot is not: nothing to post back
    assert [a["title"] for a in card["actions"]] == ["Why?"]
    assert "[1] “Passage 0:" in dumped
    assert server.connector.posted == []  # the user sends it; the bot posts nothing itself


def test_fetch_task_opens_a_dialog_with_the_answer_and_its_button_fills_the_compose_box(
    unauthenticated_server: TeamsServer,
) -> None:
    server = unauthenticated_server
    opened = server.post(
        invoke(server.connector.url, "composeExtension/fetchTask", action_value("<div>Who orders the backlog?</div>"))
    )
    assert opened.status_code == 200
    task = opened.json()["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Who decides this?"
    dialog = task["value"]["card"]["content"]
    assert dialog["body"][0]["text"] == HEADLINES["PO"]
    [send] = [a for a in dialog["actions"] if a["type"] == "Action.Submit"]
    assert send["data"] == {"action": SEND_ACTION, "question": "Who orders the backlog?"}

    # Teams sends the button's data (and the message again) with composeExtension/submitAction.
    submitted = server.post(
        invoke(
            server.connector.url,
            "composeExtension/submitAction",
            action_value("<div>Who orders the backlog?</div>", data=send["data"]),
        )
    )
    [attachment] = submitted.json()["composeExtension"]["attachments"]
    assert attachment["content"]["body"][0]["text"] == HEADLINES["PO"]
    assert server.connector.posted == []


@pytest.mark.parametrize("name", ["composeExtension/fetchTask", "composeExtension/submitAction"])
@pytest.mark.parametrize("content", ["", "<p><img src='https://example.com/cat.png'></p>", "<p>&nbsp;</p>"])
def test_a_message_with_no_text_gets_a_short_explanation(
    unauthenticated_server: TeamsServer, name: str, content: str
) -> None:
    server = unauthenticated_server
    response = server.post(invoke(server.connector.url, name, action_value(content)))
    assert response.status_code == 200
    body = response.json()
    shown = body["task"]["value"] if name.endswith("fetchTask") else body["composeExtension"]["text"]
    assert shown == extension.NO_TEXT
    assert server.answerer.calls == []


def test_a_message_that_is_not_a_question_about_roles_gets_help_not_a_card(
    unauthenticated_server: TeamsServer,
) -> None:
    server = unauthenticated_server
    response = server.post(invoke(server.connector.url, "composeExtension/submitAction", action_value("<p>help</p>")))
    result = response.json()["composeExtension"]
    assert result["type"] == "message" and render.USAGE in result["text"]


def test_the_bots_own_mention_is_dropped_from_the_message(unauthenticated_server: TeamsServer) -> None:
    server = unauthenticated_server
    content = '<p><at id="0">whodecides</at> who owns the <i>roadmap</i>?<br>thanks</p>'
    server.post(invoke(server.connector.url, "composeExtension/submitAction", action_value(content)))
    assert server.answerer.calls == ["who owns the roadmap? thanks"]


def test_message_text_is_read_as_text_never_as_markup() -> None:
    assert extension.html_to_text("a &lt;b&gt; &amp; <b>c</b><script>x</script>") == "a <b> & cx"
    assert extension.html_to_text("<at>whodecides</at> hi", drop_mention="WhoDecides") == " hi"
    assert extension.html_to_text("<at>Ann</at> hi", drop_mention="whodecides") == "Ann hi"


# ---------------------------------------------------------------- signed, as Teams sends them
def test_signed_invokes_are_served_and_unsigned_ones_refused(
    signed_server: TeamsServer, signing_key: rsa.RSAPrivateKey, no_internet: NetworkGuard
) -> None:
    server = signed_server
    token = make_token(signing_key, service_url=server.connector.url)
    asked = server.post(message(server.connector.url, "who decides the price?"), token=token)
    assert asked.status_code == 200
    answer = server.connector.messages[-1]
    assert answer.activity["channelData"]["feedbackLoopEnabled"] is True
    assert answer.authorization and answer.authorization.startswith("Bearer ")

    vote = feedback_invoke(
        server.connector.url, "dislike", json.dumps({"feedbackText": "wrong role"}), reply_to=answer.id
    )
    assert server.post(vote).status_code == 401  # unsigned: refused, nothing stored
    assert rows(server) == []
    assert server.post(vote, token=token).status_code == 200
    assert [(r["vote"], r["reason"]) for r in rows(server)] == [("down", "wrong_role")]

    action = invoke(server.connector.url, "composeExtension/submitAction", action_value(HTML_QUESTION))
    assert server.post(action).status_code == 401
    response = server.post(action, token=token)
    assert response.json()["composeExtension"]["attachments"][0]["content"]["body"][0]["text"] == HEADLINES["PM"]

    welcome = message(server.connector.url, None)
    welcome.update({"type": "conversationUpdate", "membersAdded": [{"id": f"28:{APP_ID}"}]})
    before = len(server.connector.messages)
    assert server.post(welcome, token=token).status_code == 200
    assert len(server.connector.messages) == before + 1
    assert no_internet.attempts == []


def test_recent_answers_are_bounded_and_found_from_a_threads_id() -> None:
    from bot.teams.feedback_loop import RecentAnswers, SentAnswer

    recent = RecentAnswers(limit=2)
    for n in range(3):
        recent.remember(f"{CHANNEL};messageid=17000", f"activity-{n}", SentAnswer(f"q{n}", "PM", f"a{n}"))
    assert recent.recall(CHANNEL, "activity-0") is None  # the oldest is forgotten
    assert recent.recall(CHANNEL, "activity-2") == SentAnswer("q2", "PM", "a2")
    assert recent.recall(f"{CHANNEL};messageid=17000", "activity-1") == SentAnswer("q1", "PM", "a1")
    assert recent.recall(CHANNEL, None) is None
