"""The candidates `match` lists: what each derives from its area, and the order they are ranked in."""

import json
from pathlib import Path

import pytest

from bot.decide import Candidate, Evidence, by_owner, match
from bot.results import Owner
from bot.rules import load_rules
from bot.topic import topic_of

BOOK = load_rules()
DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_candidate_derives_owner_score_and_priority_from_its_area_and_is_immutable() -> None:
    rule = max(BOOK.rules, key=lambda r: r.priority)
    c = Candidate(rule, router=0.25, bonus=0.5, trigger=2.0, example="e.g.")
    assert (c.item, c.router, c.bonus, c.trigger, c.example) == (rule, 0.25, 0.5, 2.0, "e.g.")
    assert c.owner == Owner(rule.owner) and c.score == 0.75 and c.priority == rule.priority
    outside = Candidate(BOOK.outside[0], router=0.1)
    assert outside.owner == Owner.UNKNOWN and outside.priority == 1 and outside.score == 0.1 and outside.bonus == 0.0
    with pytest.raises(AttributeError):
        c.score = 1.0  # type: ignore[misc]


def _questions() -> list[str]:
    out = []
    for name in ("dev", "realistic", "paraphrases"):
        out += [json.loads(line)["q"] for line in (DATA / f"{name}.jsonl").read_text().splitlines() if line.strip()]
    return out


def test_candidates_rank_by_score_then_rule_priority_keeping_the_books_order_on_ties() -> None:
    items = (*BOOK.rules, *BOOK.outside)
    position = {id(item): i for i, item in enumerate(items)}
    # Equal router probabilities everywhere: most scores tie, so the priority and the book's order decide.
    flat = Evidence(probabilities={item.id: 0.01 for item in items})
    tied = 0
    for q in _questions():
        cands = match(q, topic_of(q), flat, BOOK)
        assert len(cands) == len(items)
        want = sorted(
            cands,
            key=lambda c: (c.score, getattr(c.item, "priority", 1), -position[id(c.item)]),
            reverse=True,
        )
        assert [id(c) for c in cands] == [id(c) for c in want]
        tied += sum(a.score == b.score and a.priority != b.priority for a, b in zip(cands, cands[1:], strict=False))
    assert tied  # the priorities were put to the test


def test_each_owners_best_area_is_its_highest_scoring_then_highest_priority_one() -> None:
    rules = [r for r in BOOK.rules if r.owner == "PO"]
    low, high = min(rules, key=lambda r: r.priority), max(rules, key=lambda r: r.priority)
    assert low.priority < high.priority
    pm = next(r for r in BOOK.rules if r.owner == "PM")
    for order in ((low, high), (high, low)):
        owners = by_owner([Candidate(pm, router=0.1), *(Candidate(r, router=0.3) for r in order)])
        assert [o.owner for o in owners] == [Owner.PO, Owner.PM]
        assert owners[0].best.item is high and owners[0].score == pytest.approx(0.6)
