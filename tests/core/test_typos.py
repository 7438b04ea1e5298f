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
