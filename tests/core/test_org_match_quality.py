"""The org-sentence match on the two labelled sets, with the real model (bot.org_calibrate, as the README
reports it): precision is what matters, since a wrong match overrides a right answer."""

from __future__ import annotations

import pytest

from bot.org_calibrate import outcomes
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("name", "min_precision", "min_recall"),
    [("org_matches.jsonl", 0.95, 0.75), ("org_matches_check.jsonl", 0.95, 0.70)],
)
def test_org_sentences_match_their_questions_and_little_else(
    answerer, name: str, min_precision: float, min_recall: float
) -> None:
    found, answerable = outcomes(ROOT / "tests" / "data" / name, answerer.encoder)
    taken = [ok for cosine, ok, _, _ in found if cosine is not None]
    assert taken and sum(taken) / len(taken) >= min_precision
    assert sum(taken) / answerable >= min_recall
    # Questions about decisions no sentence covers are never taken.
    assert not any(cosine is not None and not ok for cosine, ok, q, _ in found if "release notes" in q)
