"""The Adaptive Card renderer: what a Teams user sees, and the submit data that comes back."""

from __future__ import annotations

import json

import pytest

from bot.conversation import Reply
from bot.render import teams as render
from bot.results import EXAMPLE_QUESTIONS, HEADLINES, Answer
from tests.fakes.answerer import FakeAnswerer

TEAMS_MAX_MESSAGE_BYTES = 28 * 1024


def dump(card) -> dict:
    return card.model_dump(by_alias=True, exclude_none=True)


def walk(node):  # every dict in a card, depth first
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def texts(card: dict) -> list[str]:
    return [n["text"] for n in walk(card) if n.get("type") in ("TextBlock", "TextRun")]


def submits(card: dict) -> list[dict]:
    return [n for n in walk(card) if n.get("type") == "Action.Submit"]


@pytest.fixture
def pm_answer() -> Answer:
    return FakeAnswerer().answer("Who decides the price of the enterprise tier?")


def test_answer_card_shows_recommendation_confidence_consulted_rationale(pm_answer: Answer) -> None:
    card = dump(render.answer_card(pm_answer, answer_id="a1"))
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card["body"][0]["text"] == HEADLINES["PM"] == "The Product Manager decides"
    facts = {f["title"]: f["value"] for n in walk(card) if n.get("type") == "FactSet" for f in n["facts"]}
    assert facts == {"Confidence": "high", "Consulted": "Product Owner, Sales"}
    assert pm_answer.rationale in texts(card)


def test_answer_card_quotes_top_three_passages_with_sources(pm_answer: Answer) -> None:
    assert len(pm_answer.passages) == 4
    card = dump(render.answer_card(pm_answer, answer_id="a1"))
    quoted = [t for t in texts(card) if t.startswith("“Passage ")]
    assert [q[:11] for q in quoted] == ["“Passage 0:", "“Passage 1:", "“Passage 2:"]
    all_text = "\n".join(texts(card))
    for passage in pm_answer.passages[:3]:
        assert render.source_text(passage) in all_text
        assert passage.source in all_text
    assert "Passage 3:" not in all_text


def test_why_detail_lists_rules_and_verbatim_citations(pm_answer: Answer) -> None:
    card = dump(render.answer_card(pm_answer, answer_id="a1"))
    why = [a for a in card["actions"] if a["type"] == "Action.ShowCard"]
    assert [a["title"] for a in why] == ["Why?"]
    detail = "\n".join(texts(why[0]["card"]))
    rule = pm_answer.rules[0]
    assert f"Rule {rule.id}" in detail and rule.rationale in detail
    assert f"“{rule.citations[0].quote}”" in detail  # verbatim, & and <> untouched in a TextRun
    assert rule.citations[0].title in detail


def test_new_cards_have_no_vote_buttons_but_old_cards_buttons_still_parse(pm_answer: Answer) -> None:
    card = dump(render.answer_card(pm_answer, answer_id="a1"))
    assert [a["type"] for a in card["actions"]] == ["Action.ShowCard"]  # 👍/👎: Teams' feedback loop now
    old_button = {  # what the 👎 of a card sent before the feedback loop carries
        "action": render.FEEDBACK_ACTION,
        "vote": "down",
        "answer_id": "a1",
        "recommendation": "PM",
        "question": pm_answer.question,
    }
    down = render.parse_submit(old_button)
    assert down == render.FeedbackSubmit(vote="down", question=pm_answer.question, recommendation="PM", answer_id="a1")


def test_unknown_offers_example_questions_as_buttons_that_ask_them() -> None:
    answer = FakeAnswerer().answer("what is the weather like?")
    assert answer.recommendation == "UNKNOWN"
    card = dump(render.answer_card(answer, answer_id="u1"))
    assert card["body"][0]["text"] == HEADLINES["UNKNOWN"]
    assert answer.hint in texts(card)
    asks = [render.parse_submit(a["data"]) for a in submits(card)]
    asked = [a.question for a in asks if isinstance(a, render.AskSubmit)]
    assert asked == list(EXAMPLE_QUESTIONS[:5])
    assert not any(t.startswith("“Passage") for t in texts(card))
    assert "Why?" not in json.dumps(card)  # nothing to explain: no rule fired


def test_text_fallback_and_summary(pm_answer: Answer) -> None:
    card = render.answer_card(pm_answer, answer_id="a1")
    assert card.fallback_text == render.answer_text(pm_answer)
    fallback = card.fallback_text
    assert fallback.startswith("The Product Manager decides")
    assert "Confidence: high. Consulted: Product Owner, Sales." in fallback
    assert "Passage 2" in fallback and "Passage 3" not in fallback
    assert render.summary_text(pm_answer) == "The Product Manager decides"


def test_notes_are_shown() -> None:
    answer = FakeAnswerer().answer("we are a startup, who decides?")
    card = dump(render.answer_card(answer, answer_id="s1"))
    assert "Note: Small company: one person may hold both roles." in texts(card)
    assert "Why?" in json.dumps(card)  # no rule: the detail says the answer rests on passages
    why = next(a for a in card["actions"] if a["type"] == "Action.ShowCard")
    assert any("No decision rule matched" in t for t in texts(why["card"]))


def test_user_text_is_shown_literally_never_as_markdown() -> None:
    question = "who decides the price? [click](https://evil.example) **now** <at>Ann</at>"
    card = dump(render.answer_card(FakeAnswerer().answer(question), answer_id="x"))
    runs = [n for n in walk(card) if n.get("type") == "TextRun" and question in n["text"]]
    blocks = [n for n in walk(card) if n.get("type") == "TextBlock" and question in n["text"]]
    assert runs and not blocks


@pytest.mark.parametrize("question", ["Who decides the price? " + "x" * 20_000, "huge answer please", "🙂" * 20_000])
def test_card_stays_under_the_teams_message_limit(question: str) -> None:
    answer = FakeAnswerer().answer(question)
    out = render.render_reply(Reply.of(answer))
    assert out.card is not None and out.cited is not None
    citations = [c.model_dump(by_alias=True, exclude_none=True) for c in out.cited.citations]
    # The whole message: the card, the text with its markers and every citation's hover card.
    size = len(json.dumps([dump(out.card), out.cited.text, citations], ensure_ascii=False).encode())
    assert size < TEAMS_MAX_MESSAGE_BYTES


def test_help_card_has_usage_examples_and_message() -> None:
    card = dump(render.help_card("Your message was empty."))
    all_text = texts(card)
    assert all_text[0] == "Your message was empty."
    assert render.USAGE in all_text
    asked = [render.parse_submit(a["data"]).question for a in submits(card)]  # type: ignore[union-attr]
    assert asked == list(EXAMPLE_QUESTIONS[:5])
    assert "@mention" in render.help_text()
    assert all(q in render.help_text() for q in EXAMPLE_QUESTIONS)


FB = render.FEEDBACK_ACTION


@pytest.mark.parametrize(
    "value",
    [
        None,
        "👍",
        42,
        [],
        {},
        {"action": "something-else"},
        {"action": render.FEEDBACK_ACTION},
        {"action": FB, "vote": "sideways", "recommendation": "PM", "question": "q"},
        {"action": FB, "vote": "up", "recommendation": "CEO", "question": "q"},
        {"action": FB, "vote": "up", "recommendation": "PM", "question": "  "},
        {"action": FB, "vote": "up", "recommendation": "PM", "question": ["q"]},
        {"action": FB, "vote": "up", "recommendation": "PM", "question": "q", "answer_id": 1},
        {"action": render.ASK_ACTION},
        {"action": render.ASK_ACTION, "question": {"text": "q"}},
    ],
)
def test_parse_submit_rejects_missing_or_garbage_data(value: object) -> None:
    assert render.parse_submit(value) is None
