"""A thread's earlier messages as context (issue 12): the modifiers read them, the question stays the message."""

from __future__ import annotations

import pytest

from bot.background import with_background

pytestmark = pytest.mark.slow

PRICE = "who decides the price of the enterprise tier?"


def test_company_size_said_earlier_changes_the_owner_and_says_so(answerer) -> None:
    alone = answerer.answer(PRICE)
    assert alone.recommendation == "PM" and not any("mentioned above" in n for n in alone.notes)
    told = answerer.answer(PRICE, context="Morning all. We're a 6-person company, so titles are loose.")
    assert told.recommendation == "SHARED"
    assert told.notes[0] == "As mentioned above: a 6-person company."
    assert told.question == PRICE  # the background is context, never the question


@pytest.mark.parametrize(
    ("background", "owner", "phrase"),
    [
        ("We don't use Scrum here, we do Kanban.", "PM", "we do kanban"),
        ("We have several teams working on the next release.", "PM", "several teams"),
        ("Our PO and PM are the same person.", "SHARED", "the same person"),
    ],
)
def test_each_kind_of_context_is_picked_up_from_the_thread(answerer, background, owner, phrase) -> None:
    question = "who decides the release goal?" if "release" in background else "who orders the product backlog?"
    answer = answerer.answer(question, context=background)
    assert answer.recommendation == owner
    assert any(n.startswith("As mentioned above: ") and phrase in n for n in answer.notes), answer.notes


def test_context_in_the_message_itself_is_not_credited_to_the_thread(answerer) -> None:
    answer = answerer.answer(PRICE + " We are a 6-person company.", context="We're a 6-person company.")
    assert answer.recommendation == "SHARED"
    assert not any("mentioned above" in n for n in answer.notes)


def test_a_background_without_context_changes_nothing(answerer) -> None:
    # Another question asked earlier in the thread is not the question now: the topic stays the message's.
    answer = answerer.answer("who orders the product backlog?", context=PRICE + " I think the PM does.")
    assert answer.recommendation == "PO" and not any("mentioned above" in n for n in answer.notes)
    assert answer == answerer.answer("who orders the product backlog?")


def test_the_newest_background_is_kept_when_it_is_long() -> None:
    text = with_background("the question", "old words " * 2000 + "we are a 6-person company")
    assert text.endswith("we are a 6-person company the question") and len(text) <= 4000 + len(" the question")
