"""Measure the org-sentence match (bot.authority.MATCH_COSINE, LEXICAL_COSINE) with the shipped model.

    python -m bot.org_calibrate [tests/data/org_matches.jsonl]

Each line holds an org sentence (or none: questions no sentence answers), its decision area and questions
about that decision. Each question is matched as the answerer matches it (bot.authority.pick) against every
sentence that names a decider; the match is right when the sentence's area is the question's. Prints
precision and recall at the shipped thresholds and at other cosine cut-offs, and every question's outcome.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from bot import authority
from bot.authority import decision_text, pick
from bot.embedding import Encoder, SentenceTransformerEncoder, resolve_model
from bot.role_statement import role_statement
from bot.router import known_words, question_text
from bot.rules import load_rules
from bot.textutil import tokens
from bot.topic import topic_of

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "org_matches.jsonl"


def outcomes(path: Path, encoder: Encoder) -> tuple[list[tuple[float | None, bool, str, str]], int]:
    """Per question: (cosine of the sentence taken or None, right?, question, sentence); and how many could be."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    known = known_words(load_rules())
    stated = [(r, role_statement(r["statement"])) for r in rows if r.get("statement")]
    stated = [(r, s) for r, s in stated if s.role is not None]
    texts = [question_text(decision_text(s), known) for _, s in stated]
    stems = [frozenset(tokens(t, drop_frame=True)) for t in texts]
    questions = [(r["area"], q) for r in rows for q in r["questions"]]
    cos = (
        np.asarray(encoder.encode([question_text(q, known) for _, q in questions]))
        @ np.asarray(encoder.encode(texts)).T
    )
    answerable = sum(1 for area, _ in questions if any(r["area"] == area for r, _ in stated))
    out: list[tuple[float | None, bool, str, str]] = []
    for i, (area, q) in enumerate(questions):
        j = pick(cos[i], stems, frozenset(tokens(topic_of(q), drop_frame=True)))
        if j is None:
            out.append((None, False, q, ""))
        else:
            out.append((float(cos[i, j]), stated[j][0]["area"] == area, q, stated[j][0]["statement"]))
    return out, answerable


def report(found: list[tuple[float | None, bool, str, str]], answerable: int) -> str:
    taken = [ok for c, ok, _, _ in found if c is not None]
    right = sum(taken)
    lines = [
        f"MATCH_COSINE {authority.MATCH_COSINE}, LEXICAL_COSINE {authority.LEXICAL_COSINE}: "
        f"precision {right / max(1, len(taken)):.3f} ({right}/{len(taken)}), "
        f"recall {right / max(1, answerable):.3f} ({right}/{answerable}), {len(found)} questions"
    ]
    for c, ok, q, s in sorted(found, key=lambda x: -(x[0] or 0.0)):
        mark = "left" if c is None else ("ok  " if ok else "WRONG")
        lines.append(f"  {mark:5} {c or 0.0:.3f}  {q}" + (f"  →  {s}" if s else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT
    encoder = SentenceTransformerEncoder(resolve_model(None))
    found, answerable = outcomes(path, encoder)
    print(report(found, answerable))
    for cut in (0.45, 0.50, 0.55, 0.65, 0.70):  # the same with other semantic cut-offs
        authority.MATCH_COSINE = cut
        found, _ = outcomes(path, encoder)
        print(report(found, answerable).splitlines()[0])


if __name__ == "__main__":
    main()
