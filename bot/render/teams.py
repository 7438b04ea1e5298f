"""Answer → Adaptive Card for Microsoft Teams (pure: no I/O, no SDK calls beyond building models).

The card's Action.Submit data is a small contract with the Teams adapter: `parse_submit` reads it back,
so the format lives in this one module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Container,
    Fact,
    FactSet,
    RichTextBlock,
    ShowCardAction,
    SubmitAction,
    TextBlock,
    TextRun,
)

from bot.conversation.reply import Reply, ReplyKind
from bot.render import teams_memory as memory
from bot.render.teams_citations import Cited, cite
from bot.results import EXAMPLE_QUESTIONS, HEADLINES, ROLE_NAMES, Answer, Passage, RuleMatch
from bot.texts import HOW_TO_ASK, INTRO, WELCOME_EXAMPLES, WHAT_YOU_GET, one_line, trim

# Action.Submit data["action"] values.
FEEDBACK_ACTION = "whodecides.feedback"
ASK_ACTION = "whodecides.ask"
VOTES = ("up", "down")

TOP_PASSAGES = 3
# Teams rejects messages over ~28 KB, so everything echoed or quoted is trimmed.
PASSAGE_CHARS = 450
QUESTION_SHOWN_CHARS = 300
QUESTION_DATA_CHARS = 1000  # what a 👍/👎 carries back to the feedback store
QUOTE_CHARS = 300
RATIONALE_CHARS = 1200
NOTE_CHARS = 300
MAX_NOTES = 3
MAX_RULES = 8
MAX_CITATIONS = 3
MAX_CONSULTED = 8
CARD_VERSION = "1.5"  # the newest schema Teams renders on every client

USAGE = f"{INTRO} {HOW_TO_ASK['teams'][0]}"


# ---------------------------------------------------------------- submits (card → adapter)
@dataclass(frozen=True)
class FeedbackSubmit:
    vote: str  # "up" | "down"
    question: str
    recommendation: str
    answer_id: str | None


@dataclass(frozen=True)
class AskSubmit:
    question: str


def parse_submit(value: object) -> FeedbackSubmit | AskSubmit | memory.PressSubmit | memory.RecordSubmit | None:
    """Read back an Action.Submit payload. None for anything missing, mistyped or unknown."""
    if not isinstance(value, dict):
        return None
    action = value.get("action")
    if action == FEEDBACK_ACTION:
        vote = value.get("vote")
        recommendation = value.get("recommendation")
        question = value.get("question")
        answer_id = value.get("answer_id")
        if vote not in VOTES or recommendation not in HEADLINES:
            return None
        if not isinstance(question, str) or not question.strip():
            return None
        if answer_id is not None and not isinstance(answer_id, str):
            return None
        return FeedbackSubmit(
            vote=vote,
            question=question[:QUESTION_DATA_CHARS],
            recommendation=recommendation,
            answer_id=answer_id[:64] if answer_id else None,
        )
    if action == ASK_ACTION:
        question = value.get("question")
        if isinstance(question, str) and question.strip():
            return AskSubmit(question=question[:QUESTION_DATA_CHARS])
    return memory.parse_memory_submit(value)


# ---------------------------------------------------------------- the answer
def answer_card(answer: Answer, *, answer_id: str, offer: str | None = None) -> AdaptiveCard:
    """The answer card: headline, the team's agreement and role holders (if any), confidence, consulted,
    rationale, sources, feedback, a Why? detail, and (with `offer`) the *Record as our agreement* form."""
    mentions = memory.Mentions()
    body: list[CardElement] = [
        TextBlock(text=answer.headline, size="Large", weight="Bolder", wrap=True),
        *memory.answer_lines(answer, mentions),
        _plain(f"You asked: {_trim(answer.question, QUESTION_SHOWN_CHARS)}", subtle=True),
    ]
    if answer.recommendation == "UNKNOWN":
        body.append(TextBlock(text=answer.hint or _DEFAULT_HINT, wrap=True))
        body.extend(_notes(answer))
        body.extend(_examples("Try one of these:"))
    else:
        body.append(answer_facts(answer))
        rationale = _trim(answer.rationale, RATIONALE_CHARS)
        if answer.authority is None:
            said = "What the sources say: " if answer.agreement is not None else ""
            body.append(TextBlock(text=said + rationale, wrap=True))
        else:  # it quotes the org's document: corpus text, shown as typed (never read as markdown)
            where = _trim(answer.authority.title or answer.authority.doc, 160)
            body.append(_plain(f"Decided by your organisation's document: {where}", subtle=True))
            body.append(_plain(rationale))
        body.extend(_notes(answer))
        body.extend(_passages(shown_passages(answer)))

    actions: list[Any] = []
    if answer.rules or answer.recommendation != "UNKNOWN":
        actions.append(ShowCardAction(title="Why?", card=why_card(answer)))
    if offer is not None:
        actions.append(memory.record_action(offer, answer.recommendation))
    # No 👍/👎 buttons: the message carries Teams' own feedback loop (render_reply). parse_submit still reads
    # the buttons of cards sent before, so a click on an old answer is kept.
    card = AdaptiveCard(
        version=CARD_VERSION,
        body=body,
        actions=actions,
        fallback_text=answer_text(answer),
        speak=answer.headline,
    )
    return mentions.attach(card)


def why_card(answer: Answer) -> AdaptiveCard:
    """The detail behind the recommendation: each matched rule and its verbatim citations."""
    body: list[CardElement] = [TextBlock(text="Why this answer", weight="Bolder", wrap=True)]
    if answer.authority is not None:
        body.append(_org(answer))
    if not answer.rules and answer.authority is None:
        body.append(
            TextBlock(
                text="No decision rule matched; this answer rests on the passages retrieved.",
                wrap=True,
                is_subtle=True,
            )
        )
    for rule in answer.rules[:MAX_RULES]:
        body.append(_rule(rule))
    if len(answer.rules) > MAX_RULES:
        body.append(TextBlock(text=f"…and {len(answer.rules) - MAX_RULES} more rules.", is_subtle=True))
    return AdaptiveCard(version=CARD_VERSION, body=body)


def answer_text(answer: Answer) -> str:
    """Plain-text fallback for clients that cannot render the card (and for notifications)."""
    lines = [answer.headline]
    if answer.recommendation == "UNKNOWN":
        lines.append(answer.hint or _DEFAULT_HINT)
        lines.extend(f"Note: {_trim(note, NOTE_CHARS)}" for note in answer.notes[:MAX_NOTES])
        lines.append("For example: " + " / ".join(EXAMPLE_QUESTIONS[:3]))
        return "\n".join(lines)
    lines.append(f"Confidence: {answer.confidence_label}. Consulted: {consulted_text(answer)}.")
    lines.append(_trim(answer.rationale, RATIONALE_CHARS))
    lines.extend(f"Note: {_trim(note, NOTE_CHARS)}" for note in answer.notes[:MAX_NOTES])
    for n, passage in enumerate(answer.passages[:TOP_PASSAGES], start=1):
        lines.append(f'{n}. "{_trim(passage.text, 200)}" ({source_text(passage)})')
    return "\n".join(lines)


def summary_text(answer: Answer) -> str:
    """One line for the activity's `summary` (notification previews)."""
    return answer.headline


def answer_facts(answer: Answer) -> FactSet:
    """Confidence and who to consult, as the cards show them."""
    return FactSet(
        facts=[
            Fact(title="Confidence", value=answer.confidence_label),
            Fact(title="Consulted", value=consulted_text(answer)),
        ]
    )


def consulted_text(answer: Answer) -> str:
    names = [ROLE_NAMES.get(c, c) for c in answer.consulted if c]
    if not names:
        return "nobody else"
    more = len(names) - MAX_CONSULTED
    shown = ", ".join(_trim(n, 60) for n in names[:MAX_CONSULTED])
    return f"{shown} and {more} more" if more > 0 else shown


def source_text(passage: Passage) -> str:
    parts = [p for p in (passage.title, passage.section) if p]
    where = _trim(" · ".join(parts), 160) or "corpus"
    where = f"{where} ({passage.source})" if passage.source and passage.source != passage.title else where
    return f"{where}, your organisation's document" if passage.authority == "org" else where


# ---------------------------------------------------------------- any reply
@dataclass(frozen=True)
class TeamsReply:
    """What to send: a card with its one-line summary, or plain text (card None). An answer also has `cited`:
    the message text with a `[n]` marker per shown passage and their citations, sent with Teams' feedback loop."""

    text: str
    card: AdaptiveCard | None = None
    cited: Cited | None = None


def render_reply(reply: Reply) -> TeamsReply:
    """Any Reply of the Conversation as a Teams message."""
    if reply.kind is ReplyKind.ANSWER and reply.answer is not None:
        answer = reply.answer
        card = answer_card(answer, answer_id=reply.answer_id, offer=reply.offer)
        return TeamsReply(summary_text(answer), card, cite(answer, shown_passages(answer)))
    if reply.items:
        return TeamsReply(reply.text, memory.items_card(reply.items))
    if reply.kind is ReplyKind.USAGE:
        return TeamsReply(help_text(reply.text or None), help_card(reply.text or None))
    if reply.kind is ReplyKind.WELCOME:
        return TeamsReply(reply.text, welcome_card(reply.text))
    return TeamsReply(reply.text)


def shown_passages(answer: Answer) -> tuple[Passage, ...]:
    """The passages the card quotes (none for "not sure"): the ones the message cites."""
    return () if answer.recommendation == "UNKNOWN" else answer.passages[:TOP_PASSAGES]


def welcome_card(text: str) -> AdaptiveCard:
    """The greeting when the bot is added: who it is and three questions to try, each a button that asks it."""
    body: list[CardElement] = [
        TextBlock(text=text, wrap=True),
        TextBlock(text=HOW_TO_ASK["teams"][0], wrap=True, is_subtle=True),
        *_examples("Try one of these:", WELCOME_EXAMPLES),
    ]
    lines = [text, *(f"- {q}" for q in WELCOME_EXAMPLES)]
    return AdaptiveCard(version=CARD_VERSION, body=body, fallback_text="\n".join(lines))


# ---------------------------------------------------------------- help, errors
def help_card(message: str | None = None) -> AdaptiveCard:
    """Usage with example questions; each example is a button that asks it."""
    body: list[CardElement] = []
    if message:
        body.append(TextBlock(text=message, weight="Bolder", wrap=True, color="Attention"))
    body.append(TextBlock(text="whodecides", size="Large", weight="Bolder", wrap=True))
    body.append(TextBlock(text=USAGE, wrap=True))
    body.append(
        TextBlock(
            text=WHAT_YOU_GET,
            wrap=True,
            is_subtle=True,
        )
    )
    body.extend(_examples("Example questions:"))
    return AdaptiveCard(version=CARD_VERSION, body=body, fallback_text=help_text(message))


def help_text(message: str | None = None) -> str:
    lines = [message] if message else []
    lines.append(USAGE)
    lines.append("Examples:")
    lines.extend(f"- {q}" for q in EXAMPLE_QUESTIONS)
    return "\n".join(lines)


# ---------------------------------------------------------------- pieces
_DEFAULT_HINT = "I answer who decides product questions: the Product Owner, the Product Manager, or both."


def _plain(text: str, *, subtle: bool = False, italic: bool = False) -> RichTextBlock:
    # A TextRun, unlike a TextBlock, is not read as markdown: user and corpus text shows as typed.
    return RichTextBlock(inlines=[TextRun(text=text, is_subtle=subtle or None, italic=italic or None)])


def _notes(answer: Answer) -> list[CardElement]:
    return [
        Container(style="warning", items=[_plain(f"Note: {_trim(note, NOTE_CHARS)}")], spacing="Small")
        for note in answer.notes[:MAX_NOTES]
    ]


def _passages(passages: tuple[Passage, ...]) -> list[CardElement]:
    if not passages:
        return []
    items: list[CardElement] = [TextBlock(text="From the sources", weight="Bolder", separator=True)]
    for n, passage in enumerate(passages, start=1):  # [n]: the marker of the message text's citation n
        items.append(
            Container(
                style="emphasis",
                spacing="Small",
                items=[
                    _plain(f"“{_trim(passage.text, PASSAGE_CHARS)}”", italic=True),
                    TextBlock(text=f"[{n}] {source_text(passage)}", size="Small", is_subtle=True, wrap=True),
                ],
            )
        )
    return items


def _rule(rule: RuleMatch) -> Container:
    owner = ROLE_NAMES.get(rule.owner, rule.owner)
    items: list[CardElement] = [
        TextBlock(text=f"Rule {rule.id} ({rule.area}): {owner}", weight="Bolder", wrap=True),
        TextBlock(text=_trim(rule.rationale, RATIONALE_CHARS), wrap=True),
    ]
    if rule.example:
        closest = f"Matched by meaning; the closest example of this area: “{_trim(rule.example, QUOTE_CHARS)}”"
        items.append(TextBlock(text=closest, size="Small", is_subtle=True, wrap=True))
    for citation in rule.citations[:MAX_CITATIONS]:
        items.append(_plain(f"“{_trim(citation.quote, QUOTE_CHARS)}”", italic=True))
        items.append(TextBlock(text=f"— {citation.title or citation.doc}", size="Small", is_subtle=True))
    return Container(items=items, separator=True)


def _org(answer: Answer) -> Container:
    ruling = answer.authority
    assert ruling is not None
    owner = ROLE_NAMES.get(ruling.owner, ruling.owner)
    items: list[CardElement] = [
        TextBlock(text=f"Your organisation's document: {owner}", weight="Bolder", wrap=True),
        _plain(f"“{_trim(ruling.quote, QUOTE_CHARS)}”", italic=True),
        _plain(f"— {_trim(ruling.title or ruling.doc, 160)}", subtle=True),
    ]
    return Container(items=items, separator=True)


def _examples(title: str, questions: tuple[str, ...] = EXAMPLE_QUESTIONS[:5]) -> list[CardElement]:
    buttons = [SubmitAction(title=q, data={"action": ASK_ACTION, "question": q}) for q in questions]
    return [TextBlock(text=title, weight="Bolder", wrap=True), ActionSet(actions=buttons)]


def _trim(text: str, limit: int, *, ellipsis: bool = True) -> str:
    return trim(one_line(text), limit, ellipsis=ellipsis)
