"""The org charter overriding the rules, on Slack and on Teams, with the real model: the answer follows the
charter, its sentence comes first, the article passages are still shown, and a note says the articles differ.

The answerer is the real engine over a temporary corpus (the shipped articles plus tests/data/org/acme-charter.md)
indexed in tmp_path; the router and query encoder are the session's (they depend on the rules and the model
only). `answerer` is overridden for this module, so `both` serves it on both platforms.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from bot.answer import Answerer
from bot.embedding import SentenceTransformerEncoder, resolve_model
from bot.index import Index
from tests.adapters.conftest import BothPlatforms
from tests.conftest import CORPUS, ROOT

CHARTER = ROOT / "tests" / "data" / "org" / "acme-charter.md"
PRICE = "Who decides the price of the enterprise tier?"


@pytest.fixture(scope="module")
def answerer(answerer: Any, tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    corpus = tmp_path_factory.mktemp("org") / "corpus"
    shutil.copytree(CORPUS, corpus)
    shutil.copy(CHARTER, corpus / CHARTER.name)
    model = resolve_model(None)
    index = Index.build(corpus, SentenceTransformerEncoder(model), model)
    return Answerer(index, answerer.encoder, answerer.rules, answerer.router)


def test_the_engine_follows_the_charter_with_the_real_model(answerer: Answerer) -> None:
    ans = answerer.answer(PRICE)
    assert ans.recommendation == "PO" and ans.authority is not None and ans.authority.articles == "PM"
    assert ans.passages[0].doc_id == CHARTER.name
    assert any("pricing analysis" in p.text for p in ans.passages[1:])
    release = answerer.answer("Who decides when we release the new version?")
    assert release.recommendation == "PO" and release.authority is not None
    backlog = answerer.answer("Who orders the product backlog?")
    assert backlog.authority is None and backlog.recommendation == "PO"
    # Worded too far from "the price" to match: the rules answer, and the charter is a note, not their source.
    plan = answerer.answer("Who should decide how much we charge for the Pro plan?")
    assert plan.authority is None and plan.recommendation == "PM"
    assert all(p.doc_id != CHARTER.name for p in plan.passages) and len(plan.passages) >= 3
    assert any("gives a related decision to the Product Owner" in n for n in plan.notes)


@pytest.mark.parametrize("platform", ["slack", "teams"])
def test_the_charter_overrides_the_rules_on_both_platforms(both: BothPlatforms, platform: str) -> None:
    seen = both.drivers[platform].ask(PRICE).visible
    assert "The Product Owner decides" in seen and "The Product Manager decides." not in seen.split("\n")[0]
    charter = seen.index("At ACME the Product Owner sets the price")
    article = seen.index("pricing analysis")  # the passage the articles' rule cites, still shown
    assert charter < article
    assert "your organisation's document" in seen
    assert "The general articles differ" in seen and "the Product Manager decides" in seen
