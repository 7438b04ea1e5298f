"""What was said before the question (a thread's earlier messages) as context for the modifiers, and the
"As mentioned above: …" line that says it was used. Pure: no I/O.

The background never becomes the question: only the modifiers (company size, one person in both roles, no
Scrum, several teams) read it, exactly as they read the rest of a long message.
"""

from __future__ import annotations

import re

from bot.decide import Recommendation
from bot.rules import RuleBook
from bot.textutil import fold

MAX_BACKGROUND_CHARS = 4000  # the newest part is kept: the latest word on the company wins
MAX_PHRASE_CHARS = 80

# Words around a match that make it read as a phrase: "a 6-person company", not just "6-person".
_LEAD = re.compile(r"\b(a|an|our|the|(?:we|they)\s+(?:do|use|run|have|practi[cs]e))\s+$")
_TAIL = re.compile(r"^\s+(company|companies|startup|start-up|team|teams|org|organi[sz]ation|business|firm|shop)\b")


def with_background(message: str, background: str) -> str:
    """The text the modifiers read: the background first (said earlier), then the message."""
    background = " ".join(background.split())[-MAX_BACKGROUND_CHARS:]
    return f"{background} {message}" if background else message


def mentioned_above(message: str, background: str, rec: Recommendation | None, book: RuleBook) -> str | None:
    """ "As mentioned above: a 6-person company." when the deciding modifier fired on the background only."""
    if rec is None or not rec.rules or not background.strip():
        return None
    modifier = next((m for m in book.modifiers if m.id == rec.rules[0].id), None)
    if modifier is None:
        return None
    said_now = fold(message)
    if any(rx.search(said_now) for rx in modifier.patterns):
        return None  # the message says it itself
    said_before = fold(" ".join(background.split())[-MAX_BACKGROUND_CHARS:])
    found = [m for rx in modifier.patterns for m in rx.finditer(said_before)]
    if not found:
        return None
    last = max(found, key=lambda m: m.start())  # the latest mention wins
    start, end = last.span()
    lead = _LEAD.search(said_before[max(0, start - 20) : start])
    if lead:
        start -= len(lead.group(0))
    tail = _TAIL.match(said_before[end:])
    if tail:
        end += tail.end()
    phrase = " ".join(said_before[start:end].split())[:MAX_PHRASE_CHARS]
    return f"As mentioned above: {phrase}."
