"""Measure SAME_DECISION_COSINE: `python -m bot.agreements.calibrate [pairs.jsonl]`.

Each line pairs an agreement's decision with a question and says whether they are the same decision. For
every threshold it prints how the meaning match alone (cosine of the decision vectors) and the full match
(same area, or cosine at least the threshold) sort the pairs: precision and recall of "same".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.agreements.matching import DecisionMatcher
from bot.answer import Answerer
from bot.settings import Settings

DEFAULT = Path(__file__).resolve().parents[2] / "tests" / "data" / "agreement_pairs.jsonl"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    pairs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    matcher = DecisionMatcher(Answerer.from_settings(Settings.from_env()))
    rows = []
    for p in pairs:
        cos = matcher.cosine(p["question"], p["agreement"])
        area = matcher.area_of_answer(matcher.answerer.answer(p["question"]))
        same_area = area is not None and area == matcher.area(p["agreement"])
        rows.append((cos, same_area, bool(p["same"])))
    same = sum(1 for *_, s in rows if s)
    print(f"{len(rows)} pairs, {same} the same decision; area alone: {_pr([(a, s) for _, a, s in rows], same)}")
    print("threshold  cosine-only P/R   area-or-cosine P/R")
    for t in [x / 100 for x in range(40, 91, 5)]:
        cos_only = _pr([(c >= t, s) for c, _, s in rows], same)
        both = _pr([(c >= t or a, s) for c, a, s in rows], same)
        print(f"{t:9.2f}  {cos_only:17}  {both}")
    for c, a, s in sorted(rows):
        print(f"  cos {c:.3f} area {'=' if a else '≠'} {'same' if s else 'different'}")
    return 0


def _pr(predicted: list[tuple[bool, bool]], same: int) -> str:
    hits = sum(1 for p, s in predicted if p and s)
    said = sum(1 for p, _ in predicted if p)
    return f"{hits / said if said else 1.0:.2f}/{hits / same if same else 1.0:.2f}"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
