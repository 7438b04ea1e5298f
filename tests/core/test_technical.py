"""The technical-choice cue: a choice between named technical alternatives is the team's (bot/technical.py)."""

from __future__ import annotations

import pytest

from bot.router import known_words
from bot.rules import load_rules
from bot.technical import asks_technical_choice, known_terms, names_technical, terms
from bot.topic import mask_names


@pytest.mark.parametrize(
    "ask",
    [
        "Cypress or Playwright for the checkout e2e tests?",
        "for the pricing page, do we render it with Next.js or plain React?",
        "the invoices job is slow: cache the totals or precompute them nightly?",
        "kafka versus a plain postgres table for the audit events",
        "we're stuck between Redis and Memcached for sessions",
        "should we move to GitHub Actions for the marketing site?",
        "which charting library should the roadmap dashboard use?",
        "what database for the new loyalty feature?",
        "what should the retry timeout on the partner sync be?",
        "how many story points is the onboarding email ticket?",
        # The term is the head of the alternative's noun phrase, not the word right after "or".
        "for the orders table: change it in place or a one-off backfill job?",
        "native selects or a headless component lib for the filters, whose call?",
        "strategy pattern vs a plain lookup table for the discount rules?",
        "should we rewrite the export service in golang?",
        "the timeline view stutters, draw it with canvas or keep SVG?",
        "checkout is throwing 500s after the deploy: rollback or hotfix forward?",
        "which charting lib for the roadmap view?",
        "what e2e tests do we run on every merge to main?",
        # Upgrades and moves away from a tool, and alternatives said as verbs with "it".
        "does upgrading from Python 3.9 to 3.12 on the billing service need product sign-off?",
        "we'd like to move from mysql to a managed store, who approves?",
        "can we bump the node version on the reports app?",
        "the export is slow: cache it or precompute it overnight?",
        # Doing engineering work at all, said by its verb; needing a tool; an upgrade said with its object.
        "is it worth rewriting the invoice generator in rust?",
        "should we containerize the legacy reporting app?",
        "should we even refactor the loyalty module?",
        "do we even need a message broker for notifications?",
        "are we upgrading the admin app to the latest react?",
        "who picks the charting lib for the reports page?",  # a tool picked by name
    ],
)
def test_a_choice_between_technical_alternatives_fires(ask: str) -> None:
    assert asks_technical_choice(ask)


@pytest.mark.parametrize(
    "ask",
    [
        "annual or monthly billing for the team plan?",
        "should the banner say 'Upgrade' or 'Go Pro'?",
        "SSO or the dashboard redesign first?",  # two features: which comes first is ordering
        "do we ship the Postgres migration before or after the spring launch?",
        "who decides whether the API is free or paid?",
        "target clinics or hospitals with the new plan?",
        "which customers get the beta first?",
        "what should the tagline on the landing page be?",
        "how many customers asked for dark mode?",
        "in our case who should own the dev queue vs the market side?",  # the team's work queue, not a broker
        "the mobile app or a new pricing page for the spring campaign?",  # products, not tools
        "should the webinar go out to trial users or paying customers?",
        "do we roll back the price increase or keep it?",
        "business model canvas or a one-pager for the investor pitch?",
        "should we optimize the onboarding funnel?",
        "do we need a new pricing tier?",
        "should we migrate customers to the new plan?",
        "is it worth launching in Brazil?",
        "who picks the launch date for the reports page?",
        "who chooses the pricing model for the API?",
    ],
)
def test_product_choices_do_not_fire(ask: str) -> None:
    assert not asks_technical_choice(ask)


def test_the_vocabulary_has_no_everyday_words_that_would_misfire() -> None:
    single, phrases = terms()
    # Each of these is a common English or product word: listed, it would turn product choices technical.
    assert not {"go", "spring", "swift", "express", "rest", "build", "table", "region", "api", "sso"} & single
    assert ("story", "points") in phrases
    assert "c#" in single and "c" not in single  # "#" only starts a comment at the start of a line


def test_technical_names_are_not_masked_as_people_or_products() -> None:
    known = known_words(load_rules())
    assert {"vitest", "pnpm", "postgres"} <= known_terms() <= known
    assert mask_names("Vitest or Jest for Orbitly", known).split()[:3] == ["Vitest", "or", "Jest"]
    assert "Orbitly" not in mask_names("Vitest or Jest for Orbitly", known)


@pytest.mark.parametrize(
    "question",
    [
        "which plotting lib for the roadmap screen, chart.js or echarts?",
        "the competitor tracker dashboard: postgres or elasticsearch?",
    ],
)
def test_a_technical_choice_outweighs_the_product_word_beside_it(answerer, question: str) -> None:
    # "roadmap" and "competitor" pull the router to the PM's areas; the choice between tools is the team's.
    assert answerer.answer(question).recommendation == "TEAM"


@pytest.mark.parametrize(
    ("ask", "named"),
    [
        ("who decides on the retry policy when the carrier's API times out?", True),
        ("whose call is it to rewrite the old php invoicing screens?", True),
        ("who sets the coding standards for the checkout squad?", False),  # the router knows this one
        ("who decides what goes in the hiring loop for backend engineers?", False),  # a term naming people
        ("a frontend dev here: who writes the acceptance criteria?", False),
        ("who owns the roadmap for the loyalty app?", False),
    ],
)
def test_an_ask_naming_a_technical_thing_is_told_apart_from_one_naming_people(ask: str, named: bool) -> None:
    assert names_technical(ask) is named


@pytest.mark.parametrize(
    "question",
    [
        "who decides on the retry policy when the carrier's API times out?",
        "can the devs decide to bump the node version on the reports app?",
        "who owns the technical design for the loyalty points feature?",
    ],
)
def test_a_technical_thing_without_a_choice_is_the_teams(answerer, question: str) -> None:
    assert answerer.answer(question).recommendation == "TEAM"
