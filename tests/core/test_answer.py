"""The whole answer path on the real corpus, model and index: contract fields and bad input."""

import json

import pytest

from bot.answer import MAX_QUESTION_CHARS, truncate
from bot.errors import UsageError
from bot.results import Answer


def test_on_topic_answer_has_recommendation_rationale_consulted_and_cited_passages(answerer) -> None:
    ans = answerer.answer("Who should decide the pricing of the enterprise tier, the PO or the PM?")
    assert ans.recommendation == "PM"
    assert 0.5 <= ans.confidence <= 1.0
    assert "Product Owner" in ans.consulted and ans.rationale
    assert [r.id for r in ans.rules][0] == "pm-pricing"
    assert len(ans.passages) >= 3
    assert "pricing analysis" in ans.passages[0].text  # the passage the rule cites comes first
    assert [p.score for p in ans.passages] == sorted((p.score for p in ans.passages), reverse=True)
    assert all(p.title and p.source for p in ans.passages)


def test_to_dict_is_the_json_contract(answerer) -> None:
    d = answerer.answer("Who owns the product roadmap?").to_dict()
    contract = ["question", "recommendation", "confidence", "consulted", "rationale", "rules", "passages"]
    assert list(d)[: len(contract)] == contract  # the original contract first, unchanged
    # fields added by engine v2, by org documents and by team memory (issue #11: null outside their cases)
    assert set(d) - set(contract) == {"confidence_label", "notes", "authority", "agreement"}
    assert d["authority"] is None and d["agreement"] is None
    assert d["confidence_label"] in {"high", "medium", "low"} and isinstance(d["notes"], list)
    assert d["recommendation"] == "PM" and isinstance(d["confidence"], float)
    assert all(set(p) == {"text", "title", "source", "section", "score"} for p in d["passages"])
    json.dumps(d)  # serialisable as is


def test_passage_text_reads_like_the_corpus(answerer) -> None:
    ans = answerer.answer("Who clarifies requirements for developers and QA?")
    assert any("clarifying requirements for devs and QA" in p.text for p in ans.passages[:3])
    assert not any("|---" in p.text or p.text.startswith("#") for p in ans.passages)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t  \n"])
def test_blank_question_is_usage_help(answerer, blank: str) -> None:
    with pytest.raises(UsageError, match="Ask me who should decide"):
        answerer.answer(blank)


def test_a_very_long_message_is_never_cut_before_its_question(answerer) -> None:
    q = "Some more context about our situation. " * 520 + "Who decides the price of the product?"
    assert len(q) > 20_000
    ans = answerer.answer(q)
    assert ans.recommendation == "PM"
    assert len(ans.question) <= MAX_QUESTION_CHARS and ans.question.endswith("price of the product?")
    assert any(n.startswith("Your message was long, so I answered the question in it") for n in ans.notes)
    first = answerer.answer("Who decides the price of the product? " + "Some more context about us. " * 800)
    assert first.recommendation == "PM" and first.question == "Who decides the price of the product?"


def test_truncate_keeps_the_end_and_cuts_at_a_boundary() -> None:
    text, cut = truncate("first. " + "word " * 400 + "last?", 100)
    assert cut and len(text) <= 100 and not text.startswith(" ") and text.endswith("word last?")
    assert truncate("short one", 100) == ("short one", False)


@pytest.mark.parametrize(
    "q", ["🤔🤔🤔", "👍", "¿Quién decide el precio del producto?", "Wer entscheidet über den Preis?"]
)
def test_emoji_only_and_non_english_are_unknown_with_a_hint(answerer, q: str) -> None:
    ans = answerer.answer(q)
    assert ans.recommendation == "UNKNOWN" and ans.hint and "Try" in ans.hint
    assert ans.rules == ()


def test_off_topic_question_is_unknown_not_a_guess(answerer) -> None:
    ans = answerer.answer("What's the weather like in Paris today?")
    assert ans.recommendation == "UNKNOWN" and ans.hint and ans.passages == ()
    assert ans.confidence == 0.0


def test_small_company_answer_carries_a_context_note(answerer) -> None:
    ans = answerer.answer("We are a five-person startup. Who decides the roadmap?")
    assert ans.recommendation == "SHARED" and ans.notes
    assert any("same" in p.text.lower() or "start-up" in p.text.lower() for p in ans.passages[:3])


def test_answers_are_frozen(answerer) -> None:
    ans: Answer = answerer.answer("Who writes user stories?")
    with pytest.raises(AttributeError):
        ans.recommendation = "PM"  # type: ignore[misc]


@pytest.mark.parametrize("q", ["PO or PM?", "Product owner vs product manager?", "Who decides, the PO or the PM?"])
def test_a_question_naming_no_decision_asks_for_one(answerer, q: str) -> None:
    ans = answerer.answer(q)
    assert ans.recommendation == "UNKNOWN" and ans.hint and ans.hint.startswith("Tell me which decision")


def test_a_small_company_question_without_a_topic_is_still_answered(answerer) -> None:
    ans = answerer.answer("We are a tiny startup with a single product person. Who decides, the PO or the PM?")
    assert ans.recommendation == "SHARED"


def test_a_rules_later_quotes_follow_its_first_by_how_well_they_were_retrieved(answerer) -> None:
    """The first quote defines the area and leads; of the rest, the one the question retrieved best comes next,
    whatever its place in the rules file."""
    from bot.decide import Recommendation, _as_match
    from bot.results import Owner
    from bot.retrieval import Hit

    rule = next(r for r in answerer.rules.rules if len({(c.doc, c.quote) for c in r.citations}) >= 3)
    chunk_of = [answerer._quote_chunks[(c.doc, c.quote)][0] for c in rule.citations]
    first, second, last = chunk_of[0], chunk_of[1], chunk_of[-1]
    assert len({first, second, last}) == 3
    hits = [Hit(last, 0.9, 0.9, 0.0), Hit(second, 0.1, 0.1, 0.0), Hit(first, 0.05, 0.05, 0.0)]
    rec = Recommendation(Owner(rule.owner), 0.9, (), "", (_as_match(rule),))
    shown = [p.chunk_id for p in answerer._passages(hits, rec)]
    assert shown[:3] == [first, last, second]
