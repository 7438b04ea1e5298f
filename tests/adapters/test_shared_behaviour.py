"""The behaviours Slack and Teams share, driven through both adapters by one parametrised suite.

Each test runs once per platform against the same server (both adapters on one runtime, the real engine):
what the Conversation decides must reach a Slack user and a Teams user alike.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import texts
from bot.results import EXAMPLE_QUESTIONS, HEADLINES
from bot.store.tables import feedback
from tests.adapters.conftest import KNOWN_FAILURE, USAGE_PROBLEM, BothPlatforms

PLATFORMS = ["slack", "teams"]


def shows_usage(visible: str) -> bool:
    return texts.INTRO in visible and all(q in visible for q in EXAMPLE_QUESTIONS)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("text", ["help", "  HELP ", "?", "--help"])
def test_help_words_get_usage_without_asking_the_engine(both: BothPlatforms, platform: str, text: str) -> None:
    seen = both.drivers[platform].ask(text)
    assert shows_usage(seen.visible)
    assert both.answerer.calls == []


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_message_gets_usage(both: BothPlatforms, platform: str, text: str) -> None:
    seen = both.drivers[platform].ask(text)
    assert shows_usage(seen.visible)
    assert not seen.votes  # nothing to vote on
    assert both.answerer.calls == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_usage_error_shows_the_problem_and_usage(both: BothPlatforms, platform: str) -> None:
    seen = both.drivers[platform].ask("usage-error please")
    assert USAGE_PROBLEM in seen.visible and shows_usage(seen.visible)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_known_failure_shows_its_own_message(both: BothPlatforms, platform: str) -> None:
    seen = both.drivers[platform].ask("who decides the price? known-failure")
    assert KNOWN_FAILURE in seen.visible
    assert not shows_usage(seen.visible) and not seen.votes


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unexpected_failure_is_an_apology_with_no_detail(
    both: BothPlatforms, platform: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen = both.drivers[platform].ask("who decides the price? crash")
    assert texts.SORRY in seen.visible
    assert "/srv/app" not in seen.visible and "RuntimeError" not in seen.visible and "Traceback" not in seen.visible
    assert "the answerer failed" in caplog.text and "/srv/app/index" in caplog.text  # the log keeps the detail


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("vote", ["up", "down"])
def test_feedback_is_stored_with_who_and_where_and_thanked(both: BothPlatforms, platform: str, vote: str) -> None:
    driver = both.drivers[platform]
    seen = driver.ask("Who decides the price of the enterprise tier?")
    assert HEADLINES["PM"] in seen.visible and set(seen.votes) == {"up", "down"}
    assert driver.press(seen, vote) == texts.THANKS[vote]
    with both.runtime.engine.connect() as conn:
        [row] = conn.execute(select(feedback)).mappings().all()
    assert (row["platform"], row["vote"], row["recommendation"]) == (platform, vote, "PM")
    assert (row["user_id"], row["workspace"]) == (driver.user, driver.workspace)
    assert row["question"] == "Who decides the price of the enterprise tier?"
    assert row["answer_id"] and len(row["answer_id"]) == 32  # the answer's own id, carried by the button


@pytest.mark.parametrize("platform", PLATFORMS)
def test_feedback_that_cannot_be_stored_is_still_acknowledged(both: BothPlatforms, platform: str) -> None:
    driver = both.drivers[platform]
    seen = driver.ask("Who orders the product backlog?")
    both.runtime.engine.dispose()
    with both.runtime.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE whodecides_feedback")
    assert driver.press(seen, "up") == texts.FEEDBACK_LOST


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_over_long_question_is_answered_on_its_first_part_with_a_note(both: BothPlatforms, platform: str) -> None:
    question = "Who decides the price of the enterprise tier? " + "Some more background on our situation. " * 300
    assert len(question) > 10_000
    seen = both.drivers[platform].ask(question)
    assert HEADLINES["PM"] in seen.visible
    assert "Your message was long, so I answered" in seen.visible
    assert len(both.answerer.calls[0]) == len(question.strip())  # the adapter passed it whole; the engine trims


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_not_sure_answer_says_so_and_offers_examples(both: BothPlatforms, platform: str) -> None:
    seen = both.drivers[platform].ask("What's the weather in Paris tomorrow?")
    assert HEADLINES["UNKNOWN"] in seen.visible
    assert "I answer who decides product questions" in seen.visible  # the engine's hint
    assert EXAMPLE_QUESTIONS[0] in seen.visible
    assert HEADLINES["PM"] not in seen.visible and HEADLINES["PO"] not in seen.visible


def test_both_platforms_give_the_same_answer_from_the_one_conversation(both: BothPlatforms) -> None:
    question = "Who decides which programming language the team uses?"
    slack, teams = (both.drivers[p].ask(question) for p in PLATFORMS)
    assert HEADLINES["TEAM"] in slack.visible and HEADLINES["TEAM"] in teams.visible
    assert both.answerer.calls == [question, question]
