"""An answer an org document decided, as Slack, Teams and the terminal draw it: the org sentence first, marked
as the organisation's, the note that the articles differ, and Why? showing the org sentence above the rules."""

from __future__ import annotations

import json

import pytest

from bot.authority import overrule
from bot.render import teams
from bot.render.slack import render_answer, render_why
from bot.render.text import render_text
from bot.results import Answer, OrgRuling, Passage
from tests.fakes.answerer import FakeAnswerer

QUOTE = "At ACME the Product Owner sets the price <!channel> [click](https://evil.example)."


@pytest.fixture
def decided() -> Answer:
    base = FakeAnswerer().answer("who decides the price?")
    assert base.recommendation == "PM" and base.passages
    ruling = OrgRuling(
        owner="PO",
        quote=QUOTE,
        doc="acme-charter.md",
        title="ACME role charter",
        source="ACME wiki",
        score=0.7,
        articles="PM",
    )
    charter = Passage(
        text=QUOTE,
        title="ACME role charter",
        source="ACME wiki",
        section="Pricing",
        score=0.0,
        doc_id="acme-charter.md",
        chunk_id=999,
    )
    return overrule(base, ruling, charter)


def test_the_answer_itself(decided: Answer) -> None:
    assert decided.recommendation == "PO" and decided.passages[0].authority == "org"
    assert decided.notes[0].startswith("The general articles differ") and decided.hint is None


def test_slack_shows_the_org_sentence_first_and_the_note(decided: Answer) -> None:
    blocks = render_answer(decided, answer_id="a1").blocks
    texts = [json.dumps(b, ensure_ascii=False) for b in blocks]
    joined = "\n".join(texts)
    assert "The *Product Owner* decides" in joined
    assert "your organisation's document decides: _ACME role charter_" in joined
    org = next(i for i, t in enumerate(texts) if "At ACME the Product Owner sets the price" in t and "— _" in t)
    article = next(i for i, t in enumerate(texts) if "Passage 0" in t)
    assert org < article
    assert ":office: your organisation's document" in texts[org]
    assert "The general articles differ" in joined and "<!channel>" not in joined and "&lt;!channel&gt;" in joined


def test_slack_why_shows_the_org_sentence_above_the_rules(decided: Answer) -> None:
    texts = [json.dumps(b, ensure_ascii=False) for b in render_why(decided).blocks]
    org = next(i for i, t in enumerate(texts) if "Your organisation's document* → Product Owner" in t)
    rule = next(i for i, t in enumerate(texts) if "rule `pricing`" in t)
    assert org < rule


def test_teams_shows_the_org_sentence_first_and_the_note_as_plain_text(decided: Answer) -> None:
    card = teams.answer_card(decided, answer_id="a1").model_dump(by_alias=True, exclude_none=True)
    text = json.dumps(card, ensure_ascii=False)
    assert text.index("At ACME the Product Owner sets the price") < text.index("Passage 0")
    assert "Decided by your organisation's document: ACME role charter" in text
    assert "your organisation's document" in teams.source_text(decided.passages[0])
    assert "The general articles differ" in text
    # The org sentence is corpus text: never read as markdown (TextRun), wherever it appears.
    rich = [e for e in card["body"] if e.get("type") == "RichTextBlock"]
    assert any("[click](https://evil.example)" in json.dumps(e) for e in rich)
    plain = [e for e in card["body"] if e.get("type") == "TextBlock"]
    assert not any("evil.example" in json.dumps(e) for e in plain)
    why = json.dumps(teams.why_card(decided).model_dump(by_alias=True, exclude_none=True), ensure_ascii=False)
    assert why.index("Your organisation's document: Product Owner") < why.index("Rule pricing")


def test_the_terminal_marks_the_org_passage(decided: Answer) -> None:
    out = render_text(decided)
    assert "Decided by your organisation's document: ACME role charter" in out
    assert out.index("At ACME the Product Owner") < out.index("Passage 0")
    assert "your organisation's document" in out.split("[1]")[1].split("[2]")[0]
