"""An answer's passages as Teams citations: `[1]`, `[2]` markers in the message text, one citation entity
each, which Teams shows as hover cards with the passage and its source (pure: no I/O).

Teams limits a citation's name to 80 characters and its abstract to 160 (the SDK refuses longer ones); the
whole passage goes into the citation's own small Adaptive Card, which Teams opens from the hover card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from microsoft_teams.api.models.entity import CitationAppearance, CitationIconName
from microsoft_teams.cards import AdaptiveCard, RichTextBlock, TextBlock, TextRun

from bot.results import Answer, Passage
from bot.texts import one_line, trim

NAME_CHARS = 80
ABSTRACT_CHARS = 160
KEYWORD_CHARS = 28
DETAIL_CHARS = 1500  # the passage in the citation's card: whole, up to Teams' message budget
CARD_VERSION = "1.5"


@dataclass(frozen=True)
class Cited:
    """A message text with its `[n]` markers, and the citation for each marker (position n = index + 1)."""

    text: str
    citations: tuple[CitationAppearance, ...]


def cite(answer: Answer, passages: tuple[Passage, ...]) -> Cited:
    """The headline, then a marker per shown passage: "The Product Manager decides, based on [1], [2] and [3]."."""
    markers = [f"[{n}]" for n in range(1, len(passages) + 1)]
    if not markers:
        return Cited(f"{answer.headline}.", ())
    listed = markers[0] if len(markers) == 1 else ", ".join(markers[:-1]) + " and " + markers[-1]
    return Cited(f"{answer.headline}, based on {listed}.", tuple(appearance(p) for p in passages))


def appearance(passage: Passage) -> CitationAppearance:
    title = _line(passage.title) or _line(passage.source) or "Source"
    keywords = [trim(_line(passage.section), KEYWORD_CHARS)] if _line(passage.section) else None
    return CitationAppearance(
        name=trim(title, NAME_CHARS),
        abstract=trim(_line(passage.text), ABSTRACT_CHARS) or title[:ABSTRACT_CHARS],
        text=json.dumps(detail_card(passage).model_dump(by_alias=True, exclude_none=True)),
        url=passage.source if _is_web_url(passage.source) else None,
        icon=CitationIconName.TEXT,
        keywords=keywords,
    )


def detail_card(passage: Passage) -> AdaptiveCard:
    """What the citation opens: the passage as quoted (a TextRun, so never read as markdown) and its source."""
    where = " · ".join(p for p in (_line(passage.title), _line(passage.section)) if p) or "corpus"
    return AdaptiveCard(
        version=CARD_VERSION,
        body=[
            RichTextBlock(inlines=[TextRun(text=f"“{trim(_line(passage.text), DETAIL_CHARS)}”", italic=True)]),
            TextBlock(text=trim(where, 200), size="Small", is_subtle=True, wrap=True),
        ],
    )


def _line(text: str | None) -> str:
    return one_line(text or "").strip()


def _is_web_url(source: str | None) -> bool:
    parts = urlsplit(source or "")
    return parts.scheme == "https" and bool(parts.netloc)
