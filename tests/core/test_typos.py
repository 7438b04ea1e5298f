"""Typo repair: unknown words a letter or two from a domain word are read as that word."""

import pytest

from bot.typos import Speller

SPELLER = Speller(
    domain=["backlog", "price", "prioritize", "prioritizes", "roadmap", "responsible", "competitors", "stories"],
    known=["the", "who", "normal", "normally", "separate"],
)


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("backlgo", "backlog"),  # two letters swapped: one edit
        ("prcie", "price"),
        ("roadmpa", "roadmap"),
        ("prioritzes", "prioritizes"),
        ("responsable", "responsible"),
        ("competitrs", "competitors"),
        ("normaly", "normally"),  # everyday English, one edit
    ],
)
def test_typos_are_repaired(typed: str, fixed: str) -> None:
    assert SPELLER.fix_word(typed) == fixed


@pytest.mark.parametrize("word", ["Trellify", "kafka", "owner", "story", "backlog", "zzzzzzz", "sqs"])
def test_known_words_names_and_short_words_are_left_alone(word: str) -> None:
    assert SPELLER.fix_word(word) is None


def test_correct_reports_what_it_changed() -> None:
    text, fixes = SPELLER.correct("who prioritzes the backlgo at Trellify?")
    assert text == "who prioritizes the backlog at Trellify?"
    assert fixes == (("prioritzes", "prioritizes"), ("backlgo", "backlog"))


def test_a_question_full_of_typos_is_answered(answerer) -> None:
    ans = answerer.answer("who is responsable for prioritizng the prodcut backlgo?")
    assert ans.recommendation == "PO"


def test_technical_terms_are_never_repaired_into_other_words(answerer) -> None:
    """ "retry" is not "retro", "linter" not "winter", "shard" not "shared": the technical detector reads them."""
    from bot.technical import known_terms

    repaired = {w: answerer.speller.fix_word(w) for w in known_terms() if w.isalpha()}
    assert {w: fix for w, fix in repaired.items() if fix is not None} == {}


@pytest.mark.parametrize(
    "word",
    [
        "rewriting",
        "reworking",
        "deprioritized",
        "unshipped",
        "prebuilt",
        "rethinking",
        "repricing",
        "renewing",
        "startups",
    ],
)
def test_words_built_from_known_words_are_not_repaired_away(answerer, word: str) -> None:
    """A prefix or a regular ending on a known word is English, not a typo: repairing "deprioritized" into
    "prioritized" or "unshipped" into "shipped" would turn the question around."""
    assert answerer.speller.fix_word(word) is None


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [("desings", "designs"), ("reoder", "reorder"), ("priorites", "priorities"), ("strategys", "strategy")],
)
def test_a_single_slip_in_a_word_that_looks_built_is_still_repaired(answerer, typed: str, fixed: str) -> None:
    assert answerer.speller.fix_word(typed) == fixed


def test_a_rewrite_is_not_read_as_writing(answerer) -> None:
    text, fixes = answerer.speller.correct("is it worth rewriting the billing API?")
    assert (text, fixes) == ("is it worth rewriting the billing API?", ())
