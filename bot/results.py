"""Frozen result types shared by the core and every adapter (no platform imports here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Owner(StrEnum):
    """Who decides. A StrEnum, so JSON and string comparisons see the plain label ("PO")."""

    PO = "PO"
    PM = "PM"
    SHARED = "SHARED"
    TEAM = "TEAM"
    UNKNOWN = "UNKNOWN"


ROLE_NAMES: dict[str, str] = {
    "PO": "Product Owner",
    "PM": "Product Manager",
    "SHARED": "Product Owner and Product Manager together",
    "TEAM": "Development Team",
    "UNKNOWN": "not sure",
}

# Headline per recommendation, used by every renderer so Slack, Teams and the CLI agree.
HEADLINES: dict[str, str] = {
    "PO": "The Product Owner decides",
    "PM": "The Product Manager decides",
    "SHARED": "The Product Owner and the Product Manager decide together",
    "TEAM": "The Development Team decides",
    "UNKNOWN": "Not sure: this is outside what I can answer",
}

EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "Who decides the price of the enterprise tier?",
    "Who orders the product backlog?",
    "Who decides which programming language the team uses?",
    "Who owns the product roadmap?",
    "We are a tiny startup with one product person: who decides?",
)


@dataclass(frozen=True)
class Passage:
    """A retrieved piece of the corpus, as a person would read it."""

    text: str
    title: str
    source: str
    section: str
    score: float
    doc_id: str = ""
    chunk_id: int = -1
    role: str | None = None
    authority: str = ""  # "org": from the organisation's own document (front matter `authority: org`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "title": self.title,
            "source": self.source,
            "section": self.section,
            "score": round(float(self.score), 4),
        }


@dataclass(frozen=True)
class Citation:
    doc: str  # corpus file name, e.g. "002_concise_software.md"
    quote: str  # verbatim text from that document
    title: str = ""


@dataclass(frozen=True)
class RuleMatch:
    """A rule that fired, with why it is believed."""

    id: str
    area: str
    owner: str
    rationale: str
    citations: tuple[Citation, ...] = ()
    consulted: tuple[str, ...] = ()
    example: str = ""  # for a match by meaning: the area's example utterance closest to the question


@dataclass(frozen=True)
class OrgRuling:
    """The organisation's own document settles the decision: which sentence, saying who, and how close a match."""

    owner: str  # PO | PM | TEAM | SHARED, as the sentence says
    quote: str  # the sentence, verbatim from the document
    doc: str  # the document's file name
    title: str
    source: str
    score: float  # cosine between the question's decision and the sentence's (bot.authority.MATCH_COSINE)
    articles: str | None = None  # who the general articles' rules give it to, when they give it to someone

    @property
    def articles_differ(self) -> bool:
        return self.articles is not None and self.articles != self.owner

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "quote": self.quote,
            "doc": self.doc,
            "title": self.title,
            "source": self.source,
            "score": round(float(self.score), 4),
            "articles": self.articles,
        }


@dataclass(frozen=True)
class Agreed:
    """A team's recorded agreement that decided this answer (bot/agreements): the owner it gave."""

    owner: str
    decision: str
    scope: str  # "slack:TEAM:CHANNEL", "teams:TENANT:CONVERSATION", or "slack:TEAM" for the whole workspace
    recorded_by: str  # the platform's user id
    recorded_at: str  # ISO 8601, UTC
    recorded_by_name: str = ""  # how the platform named the recorder (Teams mentions need it)
    workspace_wide: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "decision": self.decision,
            "scope": self.scope,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at,
        }


@dataclass(frozen=True)
class Holder:
    """A named person holding a role in a channel (`roles po=@dana`): only ever drawn from stored values."""

    role: str  # PO | PM | TEAM
    user_id: str
    name: str = ""
    decides: bool = False  # else: consult


@dataclass(frozen=True)
class Answer:
    question: str
    recommendation: Owner
    confidence: float
    consulted: tuple[str, ...]
    rationale: str
    rules: tuple[RuleMatch, ...] = ()
    passages: tuple[Passage, ...] = ()
    notes: tuple[str, ...] = field(default=())  # context notes: truncation, small company, ...
    hint: str | None = None  # for UNKNOWN: what the bot can answer
    authority: OrgRuling | None = None  # set when the organisation's own document decided, outranking the rules
    agreement: Agreed | None = None  # the team's own agreement, when one decided this answer
    holders: tuple[Holder, ...] = ()  # the channel's role holders who decide / are consulted

    @property
    def headline(self) -> str:
        return HEADLINES[self.recommendation]

    @property
    def confidence_label(self) -> str:
        return confidence_label(self.confidence)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `whodecides ask --json` (issue #2): exact field names."""
        return {
            "question": self.question,
            "recommendation": self.recommendation,
            "confidence": round(float(self.confidence), 3),
            "consulted": list(self.consulted),
            "rationale": self.rationale,
            "rules": [r.id for r in self.rules],
            "passages": [p.to_dict() for p in self.passages],
            # Added by the engine v2 (the fields above are the original contract).
            "confidence_label": self.confidence_label,
            "notes": list(self.notes),
            # Added with org documents (issue #11): null, or the org sentence that decided.
            "authority": self.authority.to_dict() if self.authority else None,
            "agreement": None if self.agreement is None else self.agreement.to_dict(),
        }


def confidence_label(confidence: float) -> str:
    if confidence >= 0.75:
        return "high"
    if confidence >= 0.5:
        return "medium"
    return "low"
