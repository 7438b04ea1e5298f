"""Answer → Slack Block Kit (pure: no I/O).

Everything a user typed or the corpus holds is escaped (&, <, >) before it reaches mrkdwn, so a question
containing <!channel>, <!here> or <@U123> is shown, never executed. Slack's limits are enforced here:
section text ≤ 3000 characters, ≤ 50 blocks per message (100 in a Home view), button value ≤ 2000.

Button values are a small contract with bot/slack/listeners.py: `button_value` writes, `parse_value` reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.conversation.reply import Item, Reply, ReplyKind
from bot.results import EXAMPLE_QUESTIONS, ROLE_NAMES, Answer, Passage, RuleMatch
from bot.texts import HOW_TO_ASK, INTRO, SORRY, trim

# action_id values (the listeners match on these).
ACTION_FEEDBACK_UP = "whodecides_feedback_up"
ACTION_FEEDBACK_DOWN = "whodecides_feedback_down"
ACTION_WHY = "whodecides_why"
ACTION_SHARE = "whodecides_share"
ACTION_EXAMPLE = "whodecides_example"  # action_ids are f"{ACTION_EXAMPLE}_{i}" (unique in one block)
ACTION_EXAMPLE_PATTERN = re.compile(rf"^{ACTION_EXAMPLE}_\d+$")
VOTE_BY_ACTION = {ACTION_FEEDBACK_UP: "up", ACTION_FEEDBACK_DOWN: "down"}  # buttons of answers sent before 12
# Slack's native 👍/👎: one feedback_buttons element in a context_actions block; each button's value says its vote.
ACTION_FEEDBACK = "whodecides_feedback"
FEEDBACK_BLOCK_ID = "whodecides_feedback"

# Slack's limits.
MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_TEXT = 75
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK_TEXT = 3000

TOP_PASSAGES = 3
QUOTE_CHARS = 300
QUESTION_SHOWN_CHARS = 300
MAX_WHY_RULES = 15

USAGE_TEXT = INTRO + "\n" + "\n".join(f"• {line}" for line in HOW_TO_ASK["slack"])

ROLE_WORDS = ("Product Owner", "Product Manager", "Development Team")

PO_VS_PM = (
    (
        "*Product Owner*\n"
        "• Maximises the value of the team's work\n"
        "• Orders the Product Backlog\n"
        "• Writes and accepts backlog items\n"
        "• Works daily with one Scrum team"
    ),
    (
        "*Product Manager*\n"
        "• Owns the product's vision and strategy\n"
        "• Market, customers, pricing and positioning\n"
        "• Roadmap and business case\n"
        "• Works across teams, sales and marketing"
    ),
)

ORG_RULES_TEXT = (
    "*Add your organisation's rules*\n"
    "Point `WHODECIDES_RULES` at a YAML file shaped like the shipped `bot/rules.yaml`. A rule with the id "
    "of a shipped rule replaces it, `enabled: false` switches one off, and a new id adds a rule. Each rule "
    "has an `id`, an `area`, the `triggers` (phrasings) that fire it, the `owner` (`PO`, `PM`, `SHARED` or "
    "`TEAM`), who is `consulted`, a one-sentence `rationale` and `citations` (a corpus document and a "
    "verbatim quote from it). Restart the bot to load them.\n"
    "Your own role charter outranks the articles: put it in the corpus with `authority: org` in its front "
    "matter, and a sentence such as “At ACME the Product Owner sets the price” decides that question."
)


@dataclass(frozen=True)
class SlackMessage:
    """A message payload: `text` is the plain fallback (notifications, screen readers), always present."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# ------------------------------------------------------------------------------------------ text
def escape(text: str) -> str:
    """Slack's three control characters; after this no <!channel>, <!here> or <@U…> can ping."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe(text: str, limit: int) -> str:
    """Escape user or corpus text for mrkdwn and keep it within `limit` characters."""
    return trim(escape(text), limit)


def _quote(text: str, limit: int) -> str:
    body = safe(" ".join(str(text).split()), limit)
    return "> " + body


def _bold_roles(headline: str) -> str:
    out = escape(headline)
    for role in ROLE_WORDS:
        out = out.replace(role, f"*{role}*")
    return out


# ------------------------------------------------------------------------------------------ blocks
def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim(text, MAX_SECTION_TEXT)}}


def _context(*texts: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": trim(t, MAX_CONTEXT_TEXT)} for t in texts[:10]],
    }


def _button(text: str, action_id: str, value: str = "", style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": trim(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
    }
    if value:
        button["value"] = value
    if style:
        button["style"] = style
    return button


def _limit_blocks(blocks: list[dict[str, Any]], limit: int = MAX_BLOCKS) -> list[dict[str, Any]]:
    """Keep the trailing buttons (the actions block, the feedback block) whatever gets cut."""
    if len(blocks) <= limit:
        return blocks
    cut = len(blocks)
    while cut > 0 and blocks[cut - 1]["type"] in ("actions", "context_actions"):
        cut -= 1
    tail = blocks[cut:]
    head = blocks[:cut][: limit - len(tail) - 1]
    return [*head, _context("_…more was cut to fit Slack's limits._"), *tail]


# ------------------------------------------------------------------------------------------ values
def button_value(**fields_: Any) -> str:
    """JSON for a button's value, shrinking the question ("q") until it fits Slack's 2000 characters."""
    data = dict(fields_)
    question = str(data.get("q", ""))
    while True:
        data["q"] = question
        value = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(value) <= MAX_BUTTON_VALUE or not question:
            return value
        question = question[: max(len(question) - (len(value) - MAX_BUTTON_VALUE) - 8, 0)]


def parse_value(value: str | None) -> dict[str, Any]:
    """A button value back into a dict; anything malformed gives {} (the listener then says so)."""
    try:
        data = json.loads(value or "")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# ------------------------------------------------------------------------------------------ answers
def fallback_text(answer: Answer) -> str:
    parts = [f"{answer.headline} (confidence: {answer.confidence_label})."]
    if answer.consulted:
        parts.append("Consult: " + ", ".join(answer.consulted) + ".")
    if answer.rationale:
        parts.append(answer.rationale)
    if answer.recommendation == "UNKNOWN" and answer.hint:
        parts.append(answer.hint)
    return safe(" ".join(parts), MAX_FALLBACK_TEXT)


ORG_MARK = ":office: your organisation's document"


def _passage_block(passage: Passage) -> dict[str, Any]:
    source = safe(passage.title or passage.source, 200)
    if passage.section:
        source += f" · {safe(passage.section, 100)}"
    mark = f" · {ORG_MARK}" if passage.authority == "org" else ""
    return _section(f"{_quote(passage.text, QUOTE_CHARS)}\n— _{source}_{mark}")


def _org_block(answer: Answer) -> dict[str, Any]:
    """The organisation's sentence that decided (it outranks the rules shown below it)."""
    ruling = answer.authority
    assert ruling is not None
    owner = escape(ROLE_NAMES.get(ruling.owner, ruling.owner))
    title = safe(ruling.title or ruling.doc, 200)
    return _section(f"*Your organisation's document* → {owner}\n{_quote(ruling.quote, 500)}\n— _{title}_")


def render_answer(
    answer: Answer,
    *,
    answer_id: str | None = None,
    shareable: bool = False,
    shared_by: str | None = None,
    offer: str | None = None,
) -> SlackMessage:
    """The answer message. `shareable` adds *Share in channel* (ephemeral slash-command answers), `offer`
    *Record as our agreement* (pre-filled with that decision)."""
    from bot.render import slack_memory as memory  # it builds on this module's blocks

    blocks: list[dict[str, Any]] = [_section(_bold_roles(answer.headline))]
    facts = [f"Confidence: *{answer.confidence_label}*"]
    if answer.consulted:
        facts.append("Consult: " + safe(", ".join(answer.consulted), 500))
    if answer.authority is not None:
        facts.append(f"{ORG_MARK} decides: _{safe(answer.authority.title or answer.authority.doc, 200)}_")
    blocks.append(_context(" · ".join(facts)))
    asked = f"Question: {safe(answer.question, QUESTION_SHOWN_CHARS)}"
    if shared_by:
        asked += f" (asked by <@{escape(shared_by)}>)"
    blocks.append(_context(asked))
    blocks.extend(memory.answer_blocks(answer))
    if answer.rationale:
        said = "*What the sources say:* " if answer.agreement is not None else ""
        blocks.append(_section(said + safe(answer.rationale, MAX_SECTION_TEXT - len(said))))
    if answer.notes:
        notes = "\n".join(f":information_source: {escape(n)}" for n in answer.notes)
        blocks.append(_section(trim(notes, MAX_SECTION_TEXT)))

    if answer.recommendation == "UNKNOWN":
        if answer.hint:
            blocks.append(_section(safe(answer.hint, MAX_SECTION_TEXT)))
        blocks.extend(_examples_blocks("Try one of these:"))
    passages = answer.passages[:TOP_PASSAGES]
    if passages:
        blocks.append({"type": "divider"})
        blocks.extend(_passage_block(p) for p in passages)

    value = button_value(q=answer.question, r=answer.recommendation, a=answer_id or "")
    buttons = []
    if answer.recommendation != "UNKNOWN" or answer.rules:
        buttons.append(_button("Why?", ACTION_WHY, value))
    if shareable:
        buttons.append(_button("Share in channel", ACTION_SHARE, value, style="primary"))
    if offer is not None:
        buttons.append(memory.record_button(offer, answer.recommendation))
    if buttons:
        blocks.append({"type": "actions", "block_id": "whodecides_answer_actions", "elements": buttons})
    blocks.append(feedback_block(answer, answer_id))
    return SlackMessage(text=fallback_text(answer), blocks=_limit_blocks(blocks))


def feedback_block(answer: Answer, answer_id: str | None) -> dict[str, Any]:
    """Slack's own 👍/👎 under the answer; a click sends the clicked button's value (vote, question, answer)."""

    def button(vote: str, text: str, label: str) -> dict[str, Any]:
        value = button_value(v=vote, q=answer.question, r=answer.recommendation, a=answer_id or "")
        return {"text": {"type": "plain_text", "text": text}, "accessibility_label": label, "value": value}

    element = {
        "type": "feedback_buttons",
        "action_id": ACTION_FEEDBACK,
        "positive_button": button("up", "Helpful", "This answer was helpful"),
        "negative_button": button("down", "Not helpful", "This answer was not helpful"),
    }
    return {"type": "context_actions", "block_id": FEEDBACK_BLOCK_ID, "elements": [element]}


def _rule_block(rule: RuleMatch, titles: dict[str, str]) -> dict[str, Any]:
    owner = ROLE_NAMES.get(rule.owner, rule.owner)
    lines = [f"*{safe(rule.area, 200)}* → {escape(owner)}  (rule `{safe(rule.id, 100)}`)"]
    if rule.rationale:
        lines.append(safe(rule.rationale, 600))
    if rule.consulted:
        lines.append("Consult: " + safe(", ".join(rule.consulted), 300))
    if rule.example:
        lines.append("Matched by meaning; the closest example of this area:\n" + _quote(rule.example, 300))
    for citation in rule.citations[:3]:
        where = safe(citation.title or titles.get(citation.doc) or citation.doc, 200)
        lines.append(f"{_quote(citation.quote, 500)}\n— _{where}_")
    return _section("\n".join(lines))


def render_why(answer: Answer) -> SlackMessage:
    """The matched rules with their citations (the *Why?* button)."""
    blocks: list[dict[str, Any]] = [
        _section(f"*Why:* {_bold_roles(answer.headline)}"),
        _context(f"Question: {safe(answer.question, QUESTION_SHOWN_CHARS)}"),
    ]
    if answer.authority is not None:
        blocks.append(_org_block(answer))
    if answer.rules:
        shown = answer.rules[:MAX_WHY_RULES]
        # A citation names its document; show the document's title where a passage tells it.
        titles = {p.doc_id: p.title for p in answer.passages if p.doc_id and p.title}
        blocks.extend(_rule_block(r, titles) for r in shown)
        if len(answer.rules) > len(shown):
            blocks.append(_context(f"…and {len(answer.rules) - len(shown)} more matched rules."))
    else:
        blocks.append(_section("No decision rule matched; the answer rests on these passages from the corpus."))
        blocks.extend(_passage_block(p) for p in answer.passages[:TOP_PASSAGES])
    if answer.notes:
        blocks.append(_context(*(safe(n, 500) for n in answer.notes)))
    names = ", ".join(r.id for r in answer.rules) or "none"
    text = safe(f"Why: {answer.headline}. Rules: {names}.", MAX_FALLBACK_TEXT)
    return SlackMessage(text=text, blocks=_limit_blocks(blocks))


# ------------------------------------------------------------------------------------------ help, home
def _examples_blocks(title: str) -> list[dict[str, Any]]:
    listing = "\n".join(f"• {escape(q)}" for q in EXAMPLE_QUESTIONS)
    buttons = [_button(q, f"{ACTION_EXAMPLE}_{i}", button_value(q=q)) for i, q in enumerate(EXAMPLE_QUESTIONS[:5])]
    return [
        _section(f"{title}\n{listing}"),
        {"type": "actions", "block_id": "whodecides_examples", "elements": buttons},
    ]


def render_usage(problem: str | None = None) -> SlackMessage:
    """Usage help with example questions (blank `/whodecides`, `help`, a UsageError)."""
    blocks: list[dict[str, Any]] = []
    if problem:
        blocks.append(_section(safe(problem, 500)))
    blocks.append(_section(USAGE_TEXT))
    blocks.extend(_examples_blocks("*Example questions*"))
    text = (problem + " " if problem else "") + "Usage: /whodecides <decision>, e.g. " + EXAMPLE_QUESTIONS[0]
    return SlackMessage(text=safe(text, MAX_FALLBACK_TEXT), blocks=blocks)


def render_apology(detail: str | None = None) -> SlackMessage:
    """The short message sent when the answer itself cannot be produced or delivered."""
    text = safe(detail, 500) if detail else SORRY
    return SlackMessage(text=text, blocks=[_section(text)])


def render_reply(reply: Reply, *, shareable: bool = False, shared_by: str | None = None) -> SlackMessage:
    """Any Reply of the Conversation as a Slack message."""
    if reply.kind is ReplyKind.ANSWER and reply.answer is not None:
        return render_answer(
            reply.answer, answer_id=reply.answer_id, shareable=shareable, shared_by=shared_by, offer=reply.offer
        )
    if reply.items:
        from bot.render.slack_memory import render_items

        return render_items(reply.items)
    if reply.kind is ReplyKind.USAGE:
        return render_usage(reply.text or None)
    if reply.kind is ReplyKind.APOLOGY:
        return render_apology(reply.text or None)
    text = safe(reply.text, MAX_SECTION_TEXT)  # a command's result or a notice: user text stays inert
    return SlackMessage(text=text, blocks=[_section(text)] if reply.kind is ReplyKind.COMMAND else [])


def render_home(agreements: tuple[Item, ...] | None = None) -> dict[str, Any]:
    """The App Home tab: what the bot does, the workspace's agreements by channel (when team memory is on),
    example questions, PO vs PM, org rules."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "whodecides", "emoji": True}},
        _section(
            "I answer *who decides* a product decision: the *Product Owner* or the *Product Manager*, "
            "who to consult, why, and the passages that back it up. No guessing: when I don't know, I say so."
        ),
        _section(USAGE_TEXT),
        {"type": "divider"},
        *(home_agreements(agreements) if agreements is not None else []),
        *_examples_blocks("*Example questions*"),
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "PO vs PM at a glance", "emoji": True}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in PO_VS_PM]},
        _context("In a small company one person often holds both roles; without Scrum, the PM decides."),
        {"type": "divider"},
        _section(ORG_RULES_TEXT),
    ]
    return {"type": "home", "blocks": _limit_blocks(blocks, MAX_HOME_BLOCKS)}


def home_agreements(items: tuple[Item, ...]) -> list[dict[str, Any]]:
    from bot.render.slack_memory import home_blocks

    return [*home_blocks(items), {"type": "divider"}]


def example_question(action_id: str, value: str | None) -> str | None:
    """The question behind an example button, if it is one."""
    if not ACTION_EXAMPLE_PATTERN.match(action_id or ""):
        return None
    question = parse_value(value).get("q")
    return question if isinstance(question, str) and question.strip() else None
