"""bot/render/slack.py: Answer → Block Kit, pure. Escaping, Slack's limits, the controls."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import ContextActionsBlock

from bot.render.slack import (
    ACTION_EXAMPLE,
    ACTION_FEEDBACK,
    ACTION_SHARE,
    ACTION_WHY,
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    MAX_SECTION_TEXT,
    _limit_blocks,
    button_value,
    escape,
    example_question,
    parse_value,
    render_answer,
    render_apology,
    render_home,
    render_usage,
    render_why,
    trim,
)
from bot.results import EXAMPLE_QUESTIONS, Answer
from tests.fakes.answerer import FakeAnswerer

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<#C123>", "<!subteam^S1>")


def answer(question: str) -> Answer:
    return FakeAnswerer().answer(question)


def all_texts(obj) -> list[str]:
    """Every string Slack could display in a payload (button values are data, never shown)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [t for k, v in obj.items() if k != "value" for t in all_texts(v)]
    if isinstance(obj, list | tuple):
        return [t for v in obj for t in all_texts(v)]
    return []


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if block.get("text", {}).get("type") == "mrkdwn":
            out.append(block["text"]["text"])
        for f in block.get("fields", []):
            out.append(f["text"])
        for e in block.get("elements", []):
            if e.get("type") == "mrkdwn":
                out.append(e["text"])
    return out


def check_limits(blocks: list[dict], max_blocks: int = MAX_BLOCKS) -> None:
    assert len(blocks) <= max_blocks
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element.get("value", "")) <= MAX_BUTTON_VALUE
                assert len(element["text"]["text"]) <= 75
            if element.get("type") == "mrkdwn":
                assert len(element["text"]) <= MAX_SECTION_TEXT
            if element.get("type") == "feedback_buttons":
                for side in ("positive_button", "negative_button"):
                    assert len(element[side]["value"]) <= MAX_BUTTON_VALUE


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_header_says_who_decides_with_the_role_in_bold():
    message = render_answer(answer("who decides the price?"))
    assert message.blocks[0]["text"]["text"] == "The *Product Manager* decides"
    po = render_answer(answer("who orders the backlog?"))
    assert po.blocks[0]["text"]["text"] == "The *Product Owner* decides"
    shared = render_answer(answer("we are a startup: who decides?"))
    assert "*Product Owner*" in shared.blocks[0]["text"]["text"]
    assert "*Product Manager*" in shared.blocks[0]["text"]["text"]


def test_confidence_in_words_consulted_rationale_and_three_sourced_passages():
    a = answer("who decides the price?")
    message = render_answer(a)
    texts = mrkdwn_texts(message.blocks)
    assert any("Confidence: *high*" in t and "Consult: Product Owner, Sales" in t for t in texts)
    assert a.rationale in texts
    quoted = [t for t in texts if t.startswith("> ")]
    assert len(quoted) == 3  # top 3 of the 4 passages, quoted
    for i, text in enumerate(quoted):
        assert f"Source &lt;{i}&gt; &amp; co" in text  # the source, escaped
        assert len(text.split("\n")[0]) <= 302


def test_passages_are_trimmed():
    a = answer("who decides the huge price?")
    quoted = [t for t in mrkdwn_texts(render_answer(a).blocks) if t.startswith("> ")]
    assert quoted and all(len(t.split("\n")[0]) <= 302 and "…" in t for t in quoted)


def test_context_note_is_shown_where_present():
    texts = mrkdwn_texts(render_answer(answer("we are a startup: who decides?")).blocks)
    assert any("Small company" in t for t in texts)
    assert not any(":information_source:" in t for t in mrkdwn_texts(render_answer(answer("price?")).blocks))


def test_why_and_share_buttons_and_native_feedback_carry_the_question():
    message = render_answer(answer("who decides the price?"), answer_id="abc", shareable=True)
    found = buttons(message.blocks)
    assert set(found) == {ACTION_WHY, ACTION_SHARE}
    for button in found.values():
        assert parse_value(button["value"]) == {"q": "who decides the price?", "r": "PM", "a": "abc"}
    assert ACTION_SHARE not in buttons(render_answer(answer("price?")).blocks)  # only where asked for
    # Slack's own 👍/👎: the last block, one feedback_buttons element whose buttons say which vote they are.
    feedback = message.blocks[-1]
    assert feedback["type"] == "context_actions"
    [element] = feedback["elements"]
    assert element["type"] == "feedback_buttons" and element["action_id"] == ACTION_FEEDBACK
    assert parse_value(element["positive_button"]["value"]) == {
        "v": "up",
        "q": "who decides the price?",
        "r": "PM",
        "a": "abc",
    }
    assert parse_value(element["negative_button"]["value"])["v"] == "down"
    ContextActionsBlock(**{k: v for k, v in feedback.items() if k != "type"}).validate_json()  # slack_sdk's checks


def test_every_answer_keeps_its_feedback_buttons_even_when_cut_to_fit():
    for question in ("who decides the price?", "what is the weather?", "huge"):
        blocks = render_answer(answer(question), answer_id="x", shareable=True).blocks
        assert len(blocks) <= MAX_BLOCKS
        assert blocks[-1]["type"] == "context_actions"
        assert blocks[-1]["elements"][0]["type"] == "feedback_buttons"
        assert len(blocks[-1]["elements"][0]["negative_button"]["value"]) <= MAX_BUTTON_VALUE
    # Whatever Slack's 50-block limit cuts, the buttons at the end stay.
    many = [{"type": "section", "text": {"type": "mrkdwn", "text": str(i)}} for i in range(80)]
    tail = [{"type": "actions", "elements": []}, {"type": "context_actions", "elements": []}]
    cut = _limit_blocks([*many, *tail])
    assert len(cut) == MAX_BLOCKS and cut[-2:] == tail and "more was cut" in json.dumps(cut[-3])


def test_unknown_answers_offer_example_questions():
    message = render_answer(answer("what is the weather?"))
    texts = "\n".join(mrkdwn_texts(message.blocks))
    for q in EXAMPLE_QUESTIONS:
        assert q in texts
    examples = [b for b in buttons(message.blocks) if b.startswith(ACTION_EXAMPLE)]
    assert len(examples) == len(EXAMPLE_QUESTIONS)
    b = buttons(message.blocks)[examples[0]]
    assert example_question(b["action_id"], b["value"]) == EXAMPLE_QUESTIONS[0]
    assert "I answer who decides" in texts  # the hint
    assert message.blocks[0]["text"]["text"].startswith("Not sure")


def test_every_message_has_a_plain_text_fallback():
    for message in (
        render_answer(answer("price?")),
        render_answer(answer("weather?")),
        render_why(answer("price?")),
        render_usage(),
        render_usage("Ask me something."),
        render_apology(),
    ):
        assert message.text.strip()
        assert "*" not in message.text or "decides" not in message.text  # plain words, not just markup
    assert render_answer(answer("price?")).text.startswith("The Product Manager decides (confidence: high).")


@pytest.mark.parametrize("ping", PINGS)
def test_user_text_never_pings(ping):
    question = f"who decides the price {ping} & <b>this</b>?"
    a = answer(question)
    for message in (render_answer(a, shareable=True), render_why(a)):
        for text in [*all_texts(message.blocks), message.text]:
            assert ping not in text
        shown = "\n".join(mrkdwn_texts(message.blocks))
        assert escape(ping) in shown
        assert "&amp; &lt;b&gt;this&lt;/b&gt;" in shown


def test_shared_by_is_a_checked_user_mention():
    a = answer("who decides the price?")
    shown = "\n".join(mrkdwn_texts(render_answer(a, shared_by="UASKER").blocks))
    assert "<@UASKER>" in shown
    hostile = "\n".join(mrkdwn_texts(render_answer(a, shared_by="U1> <!channel").blocks))
    assert "<!channel" not in hostile


def test_a_huge_answer_stays_within_slack_limits():
    a = answer("the huge question " * 2000)
    for message in (render_answer(a, shareable=True, answer_id="x" * 64), render_why(a)):
        check_limits(message.blocks)
        assert len(message.text) <= 3000
        assert message.blocks[-1]["type"] in ("context_actions", "context", "section")
    assert buttons(render_answer(a, shareable=True).blocks)[ACTION_SHARE]  # the buttons survive the trimming


def test_why_shows_rules_and_citations():
    message = render_why(answer("who decides the price?"))
    shown = "\n".join(mrkdwn_texts(message.blocks))
    assert "Pricing and packaging" in shown and "`pricing`" in shown
    assert "> The Product Manager is responsible for pricing &amp; &lt;packaging&gt;." in shown
    assert "Concise Software: PO vs PM" in shown
    assert "pricing" in message.text
    no_rules = "\n".join(mrkdwn_texts(render_why(answer("which language?")).blocks))
    assert "No decision rule matched" in no_rules and "> Passage 0" in no_rules


def test_why_caps_the_number_of_rules():
    message = render_why(answer("huge price"))  # 80 matched rules
    check_limits(message.blocks)
    assert "more matched rules" in json.dumps(message.blocks)


def test_usage_and_home():
    usage = render_usage()
    assert "/whodecides" in usage.text
    assert any(EXAMPLE_QUESTIONS[0] in t for t in mrkdwn_texts(usage.blocks))
    home = render_home()
    assert home["type"] == "home"
    check_limits(home["blocks"], max_blocks=100)
    shown = json.dumps(home)
    assert "PO vs PM at a glance" in shown
    assert "WHODECIDES_RULES" in shown
    assert "Orders the Product Backlog" in shown and "pricing" in shown
    for q in EXAMPLE_QUESTIONS:
        assert q in shown


def test_trim_cuts_on_words_and_never_leaves_half_an_entity():
    assert trim("short", 10) == "short"
    cut = trim("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("…") and "wor…" not in cut
    entity = trim(escape("a" * 45 + "&&&&&&&&"), 50)
    assert len(entity) <= 50
    body = entity.rstrip("…")
    assert body.count("&") == body.count("&amp;")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=5000))
def test_any_question_renders_within_limits_and_without_pings(question):
    a = answer(question if question.strip() else "x")
    message = render_answer(a, shareable=True)
    check_limits(message.blocks)
    for text in [*mrkdwn_texts(message.blocks), message.text]:
        assert "<" not in text  # no control sequence (<!here>, <@U…>, <url|…>) survives


@given(st.text(max_size=6000))
def test_button_values_fit_and_round_trip(question):
    value = button_value(q=question, r="PM", a="id")
    assert len(value) <= MAX_BUTTON_VALUE
    data = parse_value(value)
    assert question.startswith(data["q"]) and data["r"] == "PM"


def test_malformed_button_values_parse_to_nothing():
    for bad in (None, "", "not json", "[1,2]", "{"):
        assert parse_value(bad) == {}
    assert example_question("whodecides_feedback_up", button_value(q="x")) is None
    assert example_question(f"{ACTION_EXAMPLE}_0", "garbage") is None


def test_why_names_a_cited_document_by_its_title_when_a_passage_tells_it():
    from dataclasses import replace

    from bot.results import Citation, Passage, RuleMatch

    rule = RuleMatch(
        id="r1", area="Area", owner="PM", rationale="Because.", citations=(Citation(doc="a.md", quote="Quoted."),)
    )
    passage = Passage(text="t", title="The A Article", source="s", section="", score=1.0, doc_id="a.md")
    base = answer("who decides the price?")
    shown = "\n".join(mrkdwn_texts(render_why(replace(base, rules=(rule,), passages=(passage,))).blocks))
    assert "— _The A Article_" in shown
    shown = "\n".join(mrkdwn_texts(render_why(replace(base, rules=(rule,), passages=())).blocks))
    assert "— _a.md_" in shown
