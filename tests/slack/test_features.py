"""What Slack users get (issue 3), end to end over HTTP: /whodecides, mentions, DMs, App Home, buttons."""

from __future__ import annotations

import json

from bot.render.slack import ACTION_EXAMPLE, ACTION_SHARE, parse_value
from bot.results import EXAMPLE_QUESTIONS
from bot.store import FeedbackStore, make_engine
from bot.store.tables import feedback
from tests.fakes.slack_requests import dm, feedback_values, mention


def dump(call) -> str:
    return json.dumps(call.body, ensure_ascii=False)


def buttons(body: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in body.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}


# ------------------------------------------------------------------------------ /whodecides
def test_slash_command_answers_only_the_asker_with_a_share_button(slack, web_api):
    r = slack.command("who decides the price of the enterprise tier?", response_url=web_api.response_url())
    assert r.status_code == 200
    [answer] = web_api.wait_for("response_url")
    body = answer.body
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("The Product Manager decides")
    assert body["blocks"][0]["text"]["text"] == "The *Product Manager* decides"
    assert "Confidence: *high*" in dump(answer) and "Consult: Product Owner, Sales" in dump(answer)
    found = buttons(body)
    assert {"whodecides_why", ACTION_SHARE} <= set(found)
    assert set(feedback_values(body)) == {"up", "down"}  # Slack's native 👍/👎
    assert parse_value(found[ACTION_SHARE]["value"])["q"] == "who decides the price of the enterprise tier?"


def test_slash_command_alone_or_help_gives_usage_in_the_ack(slack, web_api, answerer):
    for text in ("", "help", "  HELP "):
        r = slack.command(text, response_url=web_api.response_url())
        assert r.status_code == 200
        usage = r.json()
        assert usage["response_type"] == "ephemeral"
        assert "/whodecides" in usage["text"]
        shown = json.dumps(usage["blocks"])
        for q in EXAMPLE_QUESTIONS:
            assert q in shown
    web_api.settle()
    assert web_api.calls("response_url") == []
    assert answerer.calls == []


def test_share_in_channel_posts_the_answer_publicly_and_removes_the_private_copy(slack, web_api):
    slack.command("who decides the price?", response_url=web_api.response_url("private"))
    [private] = web_api.wait_for("response_url")
    share = buttons(private.body)[ACTION_SHARE]
    r = slack.action(ACTION_SHARE, share["value"], response_url=web_api.response_url("click"), user="UASKER")
    assert r.status_code == 200
    public, delete = web_api.wait_for("response_url", 3)[1:]
    assert public.path.endswith("/click") and public.body["response_type"] == "in_channel"
    assert public.body["replace_original"] is False
    assert public.body["text"].startswith("The Product Manager decides")
    assert "asked by <@UASKER>" in dump(public)
    assert ACTION_SHARE not in buttons(public.body)  # nothing left to share
    assert feedback_values(public.body)  # anyone in the channel can vote
    assert delete.body == {"delete_original": True}


# ------------------------------------------------------------------------------ mentions and DMs
def test_a_mention_is_answered_in_its_thread(slack, web_api):
    slack.event(mention("<@UBOT> who orders the backlog?", channel="CPLANNING", ts="1700000000.111111"))
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["channel"] == "CPLANNING"
    assert post.body["thread_ts"] == "1700000000.111111"
    assert post.body["text"].startswith("The Product Owner decides")
    assert "Question: who orders the backlog?" in dump(post)  # the bot's own mention is stripped


def test_a_follow_up_mention_in_a_thread_is_answered_in_that_thread(slack, web_api):
    event = mention("<@UBOT> and who decides the price?", ts="1700000000.222222", thread_ts="1700000000.111111")
    slack.event(event)
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.111111"
    assert "Product Manager" in post.body["text"]


def test_an_empty_mention_gets_usage_in_the_thread(slack, web_api, answerer):
    slack.event(mention("<@UBOT>", ts="1700000000.333333"))
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.333333"
    assert "Usage: /whodecides" in post.body["text"]
    assert answerer.calls == []


def test_a_direct_message_is_answered_in_the_dm(slack, web_api):
    slack.event(dm("who decides which programming language we use?", channel="D0042"))
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["channel"] == "D0042"
    assert "thread_ts" not in post.body or post.body["thread_ts"] is None
    assert post.body["text"].startswith("The Development Team decides")


def test_a_dm_in_a_thread_is_answered_in_that_thread(slack, web_api):
    slack.event(dm("who decides the price?", channel="D0042", thread_ts="1700000000.444444"))
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.444444"


def test_unknown_questions_offer_examples_that_can_be_clicked(slack, web_api):
    slack.event(mention("<@UBOT> what is the weather tomorrow?"))
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["text"].startswith("Not sure")
    examples = {k: v for k, v in buttons(post.body).items() if k.startswith(ACTION_EXAMPLE)}
    assert len(examples) == len(EXAMPLE_QUESTIONS)
    action_id, button = next(iter(examples.items()))
    slack.action(action_id, button["value"], response_url=web_api.response_url("ex"), ephemeral=False)
    [answer] = web_api.wait_for("response_url")
    assert answer.body["response_type"] == "ephemeral" and answer.body["replace_original"] is False
    assert answer.body["text"].startswith("The Product Manager decides")  # "price of the enterprise tier"


# ------------------------------------------------------------------------------ App Home
def test_app_home_is_published_when_opened(slack, web_api):
    slack.event({"type": "app_home_opened", "user": "UASKER", "channel": "D0001", "tab": "home"})
    [publish] = web_api.wait_for("views.publish")
    assert publish.body["user_id"] == "UASKER"
    view = publish.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    shown = json.dumps(view)
    assert "PO vs PM at a glance" in shown and "WHODECIDES_RULES" in shown and EXAMPLE_QUESTIONS[1] in shown

    slack.event({"type": "app_home_opened", "user": "UASKER", "channel": "D0001", "tab": "messages"})
    web_api.settle()
    assert len(web_api.calls("views.publish")) == 1


def test_an_example_clicked_in_app_home_is_answered_in_the_dm(slack, web_api):
    value = json.dumps({"q": EXAMPLE_QUESTIONS[1]})
    slack.action(f"{ACTION_EXAMPLE}_1", value, response_url=None, channel=None, user="UHOME")
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["channel"] == "UHOME"  # the app's DM with the user
    assert post.body["text"].startswith("The Product Owner decides")  # "who orders the product backlog?"


# ------------------------------------------------------------------------------ feedback and Why?
def test_feedback_is_stored_and_acknowledged_to_the_clicker_only(settings, slack, web_api):
    slack.command("who decides the price?", response_url=web_api.response_url("answer"))
    [answer] = web_api.wait_for("response_url")
    values = feedback_values(answer.body)
    slack.feedback(values["up"], response_url=web_api.response_url("c1"), user="U1")
    slack.feedback(values["down"], response_url=web_api.response_url("c2"), user="U2")
    acks = web_api.wait_for("response_url", 3)[1:]
    for ack in acks:
        assert ack.body["response_type"] == "ephemeral" and ack.body["replace_original"] is False
        assert ack.body["text"].startswith("Thanks")
    engine = make_engine(settings.database_url)
    assert FeedbackStore(engine).summary() == {"up": 1, "down": 1}
    with engine.connect() as conn:
        rows = conn.execute(feedback.select().order_by(feedback.c.user_id)).mappings().all()
    assert [(r["user_id"], r["vote"], r["platform"], r["workspace"]) for r in rows] == [
        ("U1", "up", "slack", "T0001"),
        ("U2", "down", "slack", "T0001"),
    ]
    answer_id = parse_value(values["up"])["a"]
    assert all(r["question"] == "who decides the price?" and r["recommendation"] == "PM" for r in rows)
    assert all(r["answer_id"] == answer_id for r in rows)


def test_a_feedback_click_with_missing_data_stores_nothing_and_says_so(settings, slack, web_api):
    for value in (None, "", "not json", '{"r":"PM"}'):
        slack.action("whodecides_feedback_up", value, response_url=web_api.response_url())
    replies = web_api.wait_for("response_url", 4)
    assert all("could not read that button" in r.body["text"] for r in replies)
    assert FeedbackStore(make_engine(settings.database_url)).summary() == {"up": 0, "down": 0}


def test_why_shows_the_matched_rules_and_citations(slack, web_api):
    slack.event(mention("<@UBOT> who decides the price?"))
    [post] = web_api.wait_for("chat.postMessage")
    why = buttons(post.body)["whodecides_why"]
    slack.action("whodecides_why", why["value"], response_url=web_api.response_url("why"), ephemeral=False)
    [reply] = web_api.wait_for("response_url")
    assert reply.body["response_type"] == "ephemeral" and reply.body["replace_original"] is False
    shown = dump(reply)
    assert "Pricing and packaging" in shown and "`pricing`" in shown
    assert "pricing &amp; &lt;packaging&gt;" in shown  # the citation, quoted and escaped
    assert "Concise Software: PO vs PM" in shown
