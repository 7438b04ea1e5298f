"""Slack's native surfaces (issue 12), end to end over signed HTTP against the fake Web API: the message
shortcut, the AI app surface (Bolt's Assistant), native feedback with its modal, and thread context."""

from __future__ import annotations

import json
import logging

import pytest

from bot.render.slack import ACTION_SHARE, parse_value
from bot.render.slack_assistant import ASSISTANT_STATUS
from bot.render.slack_feedback import REASON_LABELS, REASON_VIEW
from bot.results import EXAMPLE_QUESTIONS
from bot.settings import Settings
from bot.store import make_engine
from bot.store.tables import feedback
from tests.fakes.slack_requests import dm, feedback_values, mention
from tests.fakes.slack_web_api import Failure

PRICE = "who decides the price of the enterprise tier?"


def dump(call) -> str:
    return json.dumps(call.body, ensure_ascii=False)


def buttons(body: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in body.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}


def as_json(value):
    return json.loads(value) if isinstance(value, str) else value


def has_native_feedback(body: dict) -> bool:
    return any(
        b["type"] == "context_actions" and any(e["type"] == "feedback_buttons" for e in b["elements"])
        for b in body.get("blocks") or []
    )


# ------------------------------------------------------------------------------ message shortcut
def test_the_message_shortcut_answers_the_clicker_privately_through_response_url(slack, web_api, answerer):
    r = slack.shortcut({"user": "UWRITER", "text": f"<@UBOT> {PRICE}"}, response_url=web_api.response_url("sc"))
    assert r.status_code == 200
    [answer] = web_api.wait_for("response_url")
    assert answer.path.endswith("/sc")
    assert answer.body["response_type"] == "ephemeral" and answer.body["replace_original"] is False
    assert answer.body["text"].startswith("The Product Manager decides")
    assert answerer.calls == [PRICE]  # the bot's mention is not part of the question
    assert parse_value(buttons(answer.body)[ACTION_SHARE]["value"])["q"] == PRICE
    assert has_native_feedback(answer.body)
    web_api.settle()
    assert web_api.calls("chat.postMessage") == []  # nothing public until the clicker shares it

    # Share in channel works on it as on a /whodecides answer.
    share = buttons(answer.body)[ACTION_SHARE]
    slack.action(ACTION_SHARE, share["value"], response_url=web_api.response_url("share"), user="UCLICKER")
    public = web_api.wait_for("response_url", 3)[1]
    assert public.body["response_type"] == "in_channel" and "asked by <@UCLICKER>" in dump(public)


@pytest.mark.parametrize("message", [{"text": ""}, {"text": "<@UBOT>"}, {"files": [{"id": "F1", "name": "x.png"}]}])
def test_the_shortcut_on_a_message_without_text_explains_privately(slack, web_api, answerer, message):
    slack.shortcut(message, response_url=web_api.response_url("empty"))
    [reply] = web_api.wait_for("response_url")
    assert reply.body["response_type"] == "ephemeral"
    assert "no text I can read" in reply.body["text"] and len(reply.body["text"]) < 200
    assert answerer.calls == []


def test_the_shortcut_reads_a_bots_message_from_its_attachments(slack, web_api, answerer):
    slack.shortcut({"bot_id": "BOTHER", "text": "", "attachments": [{"fallback": "who orders the backlog?"}]},
                   response_url=web_api.response_url())  # fmt: skip
    [reply] = web_api.wait_for("response_url")
    assert reply.body["text"].startswith("The Product Owner decides")


def test_the_shortcut_on_a_thread_reply_reads_the_thread_before_it(slack, web_api, answerer):
    web_api.add_thread("C0001", "1700000000.000001", [
        {"ts": "1700000000.000001", "user": "UA", "text": "Context: we are a 6-person company."},
        {"ts": "1700000000.000500", "user": "UB", "text": PRICE, "thread_ts": "1700000000.000001"},
        {"ts": "1700000000.000900", "user": "UC", "text": "later: we run Kanban", "thread_ts": "1700000000.000001"},
    ])  # fmt: skip
    message = {"user": "UB", "text": PRICE, "ts": "1700000000.000500", "thread_ts": "1700000000.000001"}
    slack.shortcut(message, response_url=web_api.response_url())
    web_api.wait_for("response_url")
    assert answerer.calls == [PRICE]
    assert answerer.contexts == ["Context: we are a 6-person company."]  # not what came after the message


# ------------------------------------------------------------------------------ the AI app surface
def thread_started(channel: str = "D0ASSIST", thread_ts: str = "1700000100.000100") -> dict:
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "UASKER",
            "context": {"channel_id": "C0001", "team_id": "T0001", "enterprise_id": None},
            "channel_id": channel,
            "thread_ts": thread_ts,
        },
        "event_ts": "1700000100.000200",
    }


def test_assistant_thread_started_sets_suggested_prompts_in_that_thread(slack, web_api):
    assert slack.event(thread_started()).status_code == 200
    [call] = web_api.wait_for("assistant.threads.setSuggestedPrompts")
    assert call.body["channel_id"] == "D0ASSIST" and call.body["thread_ts"] == "1700000100.000100"
    prompts = as_json(call.body["prompts"])
    assert 3 <= len(prompts) <= 4
    assert [p["message"] for p in prompts] == list(EXAMPLE_QUESTIONS[: len(prompts)])
    assert all(p["title"] for p in prompts)


def test_a_message_in_an_assistant_thread_sets_status_answers_in_the_thread_and_titles_it(slack, web_api):
    thread = "1700000100.000100"
    web_api.add_thread("D0ASSIST", thread, [{"ts": "1700000100.000300", "user": "UASKER", "text": PRICE}])
    slack.event(dm(PRICE, channel="D0ASSIST", ts="1700000100.000300", thread_ts=thread))
    [post] = web_api.wait_for("chat.postMessage")
    [status] = web_api.wait_for("assistant.threads.setStatus")
    [title] = web_api.wait_for("assistant.threads.setTitle")
    assert (status.body["channel_id"], status.body["thread_ts"]) == ("D0ASSIST", thread)
    assert status.body["status"] == ASSISTANT_STATUS == "Looking through the sources…"
    assert status.at <= post.at  # the status shows while the answer is made
    assert post.body["channel"] == "D0ASSIST" and post.body["thread_ts"] == thread
    assert post.body["text"].startswith("The Product Manager decides") and has_native_feedback(post.body)
    assert (title.body["channel_id"], title.body["thread_ts"], title.body["title"]) == ("D0ASSIST", thread, PRICE)


def test_without_the_ai_surface_dm_threads_and_dms_still_answer(slack, web_api):
    # A workspace without the assistant feature (or the app without assistant:write): the calls fail...
    for method in ("assistant.threads.setStatus", "assistant.threads.setTitle"):
        web_api.missing_scope(method, "assistant:write")
    slack.event(dm(PRICE, channel="D0042", ts="1700000200.000200", thread_ts="1700000200.000100"))
    [threaded] = web_api.wait_for("chat.postMessage")
    assert threaded.body["thread_ts"] == "1700000200.000100" and threaded.body["text"].startswith("The Product")
    # ...and a plain DM is answered as always, with no assistant call at all.
    calls = len(web_api.calls("assistant.threads.setStatus"))
    slack.event(dm("who orders the backlog?", channel="D0042", ts="1700000300.000100"))
    plain = web_api.wait_for("chat.postMessage", 2)[1]
    assert plain.body["channel"] == "D0042" and plain.body.get("thread_ts") is None
    assert plain.body["text"].startswith("The Product Owner decides")
    web_api.settle()
    assert len(web_api.calls("assistant.threads.setStatus")) == calls


def test_help_in_an_assistant_thread_gets_usage_without_a_status(slack, web_api, answerer):
    slack.event(dm("help", channel="D0ASSIST", ts="1700000100.000400", thread_ts="1700000100.000100"))
    [post] = web_api.wait_for("chat.postMessage")
    assert "Usage" in post.body["text"] and answerer.calls == []
    web_api.settle()
    assert web_api.calls("assistant.threads.setStatus") == []


# ------------------------------------------------------------------------------ native feedback
def stored(settings: Settings) -> list[dict]:
    with make_engine(settings.database_url).connect() as conn:
        return [dict(r) for r in conn.execute(feedback.select().order_by(feedback.c.id)).mappings()]


def test_thumbs_up_is_stored_and_thanked_without_a_modal(settings, slack, web_api):
    slack.event(mention(f"<@UBOT> {PRICE}"))
    [post] = web_api.wait_for("chat.postMessage")
    slack.feedback(feedback_values(post.body)["up"], response_url=web_api.response_url("up"), user="U1")
    [thanks] = web_api.wait_for("response_url")
    assert thanks.body["text"] == "Thanks for the feedback! 👍" and thanks.body["response_type"] == "ephemeral"
    web_api.settle()
    assert web_api.calls("views.open") == []
    [row] = stored(settings)
    assert (row["vote"], row["user_id"], row["workspace"], row["question"], row["recommendation"]) == (
        "up", "U1", "T0001", PRICE, "PM",
    )  # fmt: skip


def test_thumbs_down_opens_the_modal_and_its_reason_is_stored_on_that_vote(settings, slack, web_api):
    slack.event(mention(f"<@UBOT> {PRICE}"))
    [post] = web_api.wait_for("chat.postMessage")
    answer_id = parse_value(feedback_values(post.body)["down"])["a"]
    slack.feedback(feedback_values(post.body)["down"], response_url=web_api.response_url("down"), user="U2")
    [opened] = web_api.wait_for("views.open")
    view = as_json(opened.body["view"])
    assert opened.body["trigger_id"].startswith("trigger.")
    assert view["type"] == "modal" and view["callback_id"] == REASON_VIEW
    assert view["title"]["text"] == "What was wrong?"
    [radio] = [b["element"] for b in view["blocks"] if b.get("block_id") == "reason"]
    assert [o["value"] for o in radio["options"]] == ["wrong_role", "wrong_reason", "misunderstood", "other"]
    assert [o["text"]["text"] for o in radio["options"]] == list(REASON_LABELS.values())
    assert any(b.get("block_id") == "comment" and b["optional"] for b in view["blocks"])
    [thanks] = web_api.wait_for("response_url")
    assert thanks.body["text"].startswith("Thanks, noted: not helpful")
    assert [(r["vote"], r["reason"]) for r in stored(settings)] == [("down", None)]

    values = {
        "reason": {"reason": {"type": "radio_buttons", "selected_option": {"value": "wrong_role"}}},
        "comment": {"comment": {"type": "plain_text_input", "value": "It's the <!channel> PO's call"}},
    }
    r = slack.submit(view, values, user="U2")
    assert r.status_code == 200
    done = r.json()
    assert done["response_action"] == "update" and "Thanks, that helps" in json.dumps(done["view"])
    [row] = stored(settings)
    assert (row["user_id"], row["answer_id"], row["reason"], row["comment"]) == (
        "U2", answer_id, "wrong_role", "It's the <!channel> PO's call",
    )  # fmt: skip


def test_a_reason_from_someone_else_or_another_workspace_touches_no_vote(settings, slack, web_api):
    slack.event(mention(f"<@UBOT> {PRICE}"))
    [post] = web_api.wait_for("chat.postMessage")
    slack.feedback(feedback_values(post.body)["down"], response_url=web_api.response_url(), user="U2")
    view = as_json(web_api.wait_for("views.open")[0].body["view"])
    web_api.wait_for("response_url")
    values = {"reason": {"reason": {"type": "radio_buttons", "selected_option": {"value": "other"}}}}
    for who in ({"user": "U3"}, {"user": "U2", "team_id": "T0OTHER"}):
        r = slack.submit(view, values, **who)
        assert r.status_code == 200 and "could not be saved" in json.dumps(r.json()["view"])
    assert [r["reason"] for r in stored(settings)] == [None]


def test_a_modal_sent_without_a_reason_asks_for_one(slack, web_api):
    view = {"type": "modal", "callback_id": REASON_VIEW, "private_metadata": '{"a":"x","c":"C1"}'}
    r = slack.submit(view, {"reason": {"reason": {"type": "radio_buttons", "selected_option": None}}})
    assert r.status_code == 200
    assert r.json() == {"response_action": "errors", "errors": {"reason": "Pick what was wrong."}}


def test_a_modal_that_cannot_open_still_keeps_the_vote(settings, slack, web_api, caplog):
    web_api.fail_next("views.open", Failure("error", error="expired_trigger_id"))
    slack.event(mention(f"<@UBOT> {PRICE}"))
    [post] = web_api.wait_for("chat.postMessage")
    with caplog.at_level(logging.ERROR):
        slack.feedback(feedback_values(post.body)["down"], response_url=web_api.response_url(), user="U2")
        [thanks] = web_api.wait_for("response_url")
    assert thanks.body["text"].startswith("Thanks, noted")
    assert [r["vote"] for r in stored(settings)] == ["down"]
    assert "could not open the feedback modal" in caplog.text


@pytest.mark.parametrize("value", ['{"v":"meh","q":"x"}', '{"v":"up"}', "not json"])
def test_a_broken_feedback_click_stores_nothing_and_says_so(settings, slack, web_api, value):
    slack.feedback(value, response_url=web_api.response_url())
    [reply] = web_api.wait_for("response_url")
    assert "could not read that button" in reply.body["text"]
    assert stored(settings) == []


# ------------------------------------------------------------------------------ thread context
THREAD = "1700000400.000100"


def thread_with_context(web_api) -> None:
    web_api.add_thread("CTEAM", THREAD, [
        {"ts": THREAD, "user": "UA", "text": "Quick one: we're a 6-person company, who should own pricing?"},
        {"ts": "1700000400.000200", "user": "UBOT", "bot_id": "BBOT", "text": "The PM decides (our own answer)"},
        {"ts": "1700000400.000300", "user": "UB", "text": "<@UOTHER> and we don't do Scrum"},
        {"ts": "1700000400.000400", "user": "UA", "text": f"<@UBOT> {PRICE}", "thread_ts": THREAD},
    ])  # fmt: skip


def test_a_mention_in_a_thread_reads_the_earlier_messages_as_context_only(slack, web_api, answerer):
    thread_with_context(web_api)
    slack.event(mention(f"<@UBOT> {PRICE}", channel="CTEAM", ts="1700000400.000400", thread_ts=THREAD))
    [post] = web_api.wait_for("chat.postMessage")
    [replies] = web_api.wait_for("conversations.replies")
    assert (replies.body["channel"], replies.body["ts"]) == ("CTEAM", THREAD)
    assert post.body["thread_ts"] == THREAD
    assert answerer.calls == [PRICE]  # the question is the mention, nothing else
    [context] = answerer.contexts
    assert "6-person company" in context and "@UOTHER and we don't do Scrum" in context
    assert "our own answer" not in context and PRICE not in context  # no bot messages, not the mention itself


def test_a_mention_outside_a_thread_reads_no_history(slack, web_api, answerer):
    slack.event(mention(f"<@UBOT> {PRICE}", channel="CTEAM", ts="1700000500.000100"))
    web_api.wait_for("chat.postMessage")
    web_api.settle()
    assert web_api.calls("conversations.replies") == [] and answerer.contexts == [""]


@pytest.mark.parametrize("failure", ["missing_scope", "not_in_channel", "500"])
def test_without_the_history_scopes_the_answer_comes_from_the_message_alone(slack, web_api, answerer, failure, caplog):
    thread_with_context(web_api)
    if failure == "missing_scope":
        web_api.missing_scope("conversations.replies", "channels:history")
    elif failure == "500":
        web_api.fail_next("conversations.replies", "500", "500", "500")
    else:
        web_api.fail_next("conversations.replies", Failure("error", error=failure))
    with caplog.at_level(logging.WARNING):
        slack.event(mention(f"<@UBOT> {PRICE}", channel="CTEAM", ts="1700000400.000400", thread_ts=THREAD))
        [post] = web_api.wait_for("chat.postMessage")
    assert post.body["text"].startswith("The Product Manager decides") and has_native_feedback(post.body)
    assert answerer.calls == [PRICE] and answerer.contexts == [""]
    assert "thread context skipped" in caplog.text
    if failure == "missing_scope":
        assert "channels:history" in caplog.text


@pytest.fixture(scope="module")
def engine_answerer(real_settings):
    from bot.answer import Answerer

    return Answerer.from_settings(real_settings)


@pytest.mark.slow
def test_with_the_real_engine_the_answer_says_what_it_took_from_the_thread(settings, web_api, start_server,
                                                                            engine_answerer):  # fmt: skip
    _, slack = start_server(settings, engine_answerer)
    web_api.add_thread("CTEAM", THREAD, [
        {"ts": THREAD, "user": "UA", "text": "Morning! We're a 6-person company, so titles are loose."},
        {"ts": "1700000400.000400", "user": "UB", "text": f"<@UBOT> {PRICE}", "thread_ts": THREAD},
    ])  # fmt: skip
    slack.event(mention(f"<@UBOT> {PRICE}", channel="CTEAM", ts="1700000400.000400", thread_ts=THREAD))
    [post] = web_api.wait_for("chat.postMessage", timeout=60)
    assert post.body["text"].startswith("The Product Owner and the Product Manager decide together")
    assert "As mentioned above: a 6-person company." in dump(post)
    assert f"Question: {PRICE}" in dump(post)  # the thread is context, not the question

    # The same question outside a thread: the Product Manager, and nothing "mentioned above".
    slack.event(mention(f"<@UBOT> {PRICE}", channel="CTEAM", ts="1700000500.000100"))
    alone = web_api.wait_for("chat.postMessage", 2, timeout=60)[1]
    assert alone.body["text"].startswith("The Product Manager decides") and "mentioned above" not in dump(alone)
