"""Measure the engine's thresholds on labelled sets: where "not sure" starts, and what "high" confidence needs.

    python -m bot.calibrate tests/data/realistic.jsonl:tune tests/data/paraphrases.jsonl tests/data/dev.jsonl

For every question it records the best owner's fused score and its lead over the next owner, before the
thresholds apply, then prints "not sure" precision/recall for a range of cut-offs and the accuracy of the
answers whose lead is above a range of values. The constants in bot/decide.py were read off these tables
(on the tuning half of realistic.jsonl, the paraphrases and the dev set; never the check half).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answer import Answerer
from bot.decide import apply_modifiers, by_owner, match, score
from bot.evaluate import half_of, read_cases
from bot.message import read_message
from bot.results import Owner
from bot.settings import Settings


@dataclass(frozen=True)
class Point:
    expect: str
    top: float  # the best owner's fused score
    lead: float  # its lead over the next owner
    owner: str  # what the engine answers when the question is not cut off as "not sure"


def measure(answerer: Answerer, question: str, expect: str) -> Point:
    msg = read_message(question)
    r = answerer.read(msg.ask, msg.text)
    candidates = match(r.context, r.topic, r.evidence, answerer.rules)
    owners = by_owner(candidates)
    if not owners:
        return Point(expect, 0.0, 0.0, Owner.UNKNOWN)
    lead = owners[0].score - (owners[1].score if len(owners) > 1 else 0.0)
    rec = apply_modifiers(r.context, score(candidates, r.evidence, threshold=0.0), answerer.rules, r.topic)
    return Point(expect, owners[0].score, lead, rec.owner if rec else Owner.UNKNOWN)


def report(points: list[Point]) -> str:
    out = ["not sure below | precision  recall  not-sure on answerable"]
    unknown = [p for p in points if p.expect == Owner.UNKNOWN]
    answerable = [p for p in points if p.expect != Owner.UNKNOWN]
    for cut in np.arange(0.0, 0.61, 0.05):
        said = [p for p in points if p.top < cut or p.owner == Owner.UNKNOWN]
        right = [p for p in said if p.expect == Owner.UNKNOWN]
        wrong = [p for p in answerable if p.top < cut or p.owner == Owner.UNKNOWN]
        precision = len(right) / len(said) if said else 1.0
        recall = len(right) / len(unknown) if unknown else 1.0
        out.append(f"  {cut:4.2f}        | {precision:9.3f} {recall:7.3f}  {len(wrong) / max(len(answerable), 1):6.1%}")
    out += ["", "lead at least | answers  accuracy"]
    answered = [p for p in points if p.owner != Owner.UNKNOWN]
    for lead in np.arange(0.0, 1.01, 0.1):
        kept = [p for p in answered if p.lead >= lead]
        acc = sum(p.owner == p.expect for p in kept) / len(kept) if kept else 1.0
        out.append(f"  {lead:4.2f}        | {len(kept):7d}  {acc:8.3f}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    answerer = Answerer.from_settings(Settings.from_env())
    points = []
    for spec in argv:
        path, _, half = spec.partition(":")
        for row in read_cases(Path(path)):
            if not half or half_of(str(row["q"])) == half:
                points.append(measure(answerer, str(row["q"]), str(row["expect"]).upper()))
    print(f"{len(points)} questions")
    print(report(points))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
