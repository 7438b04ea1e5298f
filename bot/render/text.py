"""Answer → plain text for the terminal. No I/O."""

from __future__ import annotations

import textwrap

from bot.agreements.wording import agreed_parts, holders_parts, plain
from bot.results import Answer, Passage
from bot.texts import one_line, trim

WIDTH = 100


def cite(p: Passage) -> str:
    where = f"{p.title}"
    if p.section:
        where += f" › {p.section}"
    mark = ", your organisation's document" if p.authority == "org" else ""
    return f"{where} ({p.source}){mark}"


def render_text(answer: Answer, *, passages: int = 3) -> str:
    lines = [f"{answer.headline}."]
    if answer.agreement is not None:
        lines.append(plain(agreed_parts(answer.agreement)))
    if answer.holders:
        lines.append(plain(holders_parts(answer.holders)))
    if answer.recommendation != "UNKNOWN":
        lines.append(f"Confidence: {answer.confidence_label} ({answer.confidence:.2f})")
        if answer.consulted:
            lines.append("Consult: " + ", ".join(answer.consulted))
        if answer.authority is not None:
            lines.append(f"Decided by your organisation's document: {answer.authority.title or answer.authority.doc}")
    why = "What the sources say: " if answer.agreement is not None else "Why: "
    lines.append(textwrap.fill(why + answer.rationale, WIDTH, subsequent_indent="     "))
    for note in answer.notes:
        lines.append(textwrap.fill("Note: " + note, WIDTH, subsequent_indent="      "))
    if answer.hint:
        lines.append(textwrap.fill("Hint: " + answer.hint, WIDTH, subsequent_indent="      "))
    if answer.passages:
        lines.append("Sources:")
        for i, p in enumerate(answer.passages[:passages], 1):
            body = textwrap.fill(
                f"[{i}] “{trim(one_line(p.text), 280)}”", WIDTH, initial_indent="  ", subsequent_indent="      "
            )
            lines.append(body)
            lines.append(f"      — {cite(p)}")
    if answer.rules:
        lines.append("Rules: " + ", ".join(r.id for r in answer.rules))
        for r in answer.rules:
            if r.example:
                lines.append(textwrap.fill(f"Matched {r.id} by meaning; closest example: “{r.example}”", WIDTH))
    return "\n".join(lines)
