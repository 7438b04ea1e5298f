"""Strip the frame every question shares ("who should decide …, the PO or the PM?") to key on the decision."""

from __future__ import annotations

import re
from functools import lru_cache

_ROLES = r"(?:the\s+)?(?:product\s+owner|product\s+manager|po|pm|dev(?:elopment)?\s+team|team)s?"
_PO_PM = r"(?:the\s+)?(?:product\s+owner|product\s+manager|po|pm)s?"
_FRAME = [
    rf",?\s*{_ROLES}\s+or\s+{_ROLES}\s*\??",  # ", the PO or the PM?"
    r"\bwho\s+(?:makes|should\s+make|gets\s+to\s+make)\s+(?:that|this|the)\s+(?:final\s+)?(?:call|decision)\b",
    rf"\b(?:is\s+it|should\s+it\s+be)\s+{_PO_PM}\b",
    r"\bwho\s+(?:should|would|will|can|must|gets\s+to|has\s+to|is\s+supposed\s+to|ought\s+to)?\s*"
    r"(?:have\s+the\s+final\s+say\s+(?:on|over|in)|make\s+the\s+(?:final\s+)?(?:call|decision)\s+(?:on|about|over)?|"
    r"decide[sd]?(?:\s+on|\s+about)?|call\s+the\s+shots\s+on|choose[s]?|determine[s]?|own[s]?|set[s]?|"
    r"is\s+(?:responsible|accountable|in\s+charge)\s+(?:for|of)|be\s+(?:responsible|accountable)\s+for|"
    r"takes?\s+care\s+of|handle[s]?|manage[s]?|define[s]?|approve[s]?|sign[s]?\s+off\s+on)?",
    r"\b(?:makes?|has|have)\s+the\s+final\s+(?:call|say)\b",
    rf"\bshould\s+{_PO_PM}\s+(?:decide|own|choose|set)\b",
    rf"\b(?:does|do|should|would)\s+{_PO_PM}\b",
    rf"\b{_PO_PM}\b",
    r"\bwho(?:'s|’s|s|se)?\b",
]
_FRAME_RE = [re.compile(p, re.I) for p in _FRAME]


# Pure, and an answer reads the same ask up to three times (the no-decision check, its reading, the router's
# text): a few entries keep one computation per answer, too few to carry anything over from other answers.
@lru_cache(maxsize=8)
def topic_of(question: str) -> str:
    """The decision a question is about; the question itself when nothing is left."""
    text = " ".join(question.split())
    for rx in _FRAME_RE:
        text = rx.sub(" ", text)
    text = re.sub(r"\s+([?,.!])", r"\1", " ".join(text.split())).strip(" ,.?!:;-")
    return text or question.strip()


# A capitalised word inside a sentence that the rules never use in lower case is a name (a product, a
# company, a person): its meaning would pull the question towards an example that shares it ("Nimbus" vs
# "Nimbly"), so it becomes a neutral placeholder.
_NAME = re.compile(r"(?<=[^\s.?!:;])(\s+)([A-Z][a-z]+[A-Za-z0-9]*(?:\s+[A-Z][a-z0-9]+)*)")
NAME_PLACEHOLDER = "X"


def mask_names(text: str, known: frozenset[str]) -> str:
    def repl(m: re.Match[str]) -> str:
        parts = m.group(2).split()
        if all(p.lower() in known for p in parts):
            return m.group(0)
        return m.group(1) + NAME_PLACEHOLDER

    return _NAME.sub(repl, text)
