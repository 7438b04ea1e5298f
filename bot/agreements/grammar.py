"""What a team types to the bot's memory: owner words, and the words after `agree`, `forget`, `roles` and
`context`. Pure parsing; every refusal is a UsageError whose message is one short usage line with an example."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.context import Context, Mention
from bot.errors import UsageError

MAX_DECISION_CHARS = 200
MAX_CONSULT_CHARS = 300
MAX_NOTE_CHARS = 500

# Owner words, longest first so "product owner" wins over a bare word; case-insensitive.
OWNER_WORDS: dict[str, str] = {
    "product owner": "PO",
    "product manager": "PM",
    "dev team": "TEAM",
    "po": "PO",
    "pm": "PM",
    "team": "TEAM",
    "shared": "SHARED",
}
OWNERS = ("PO", "PM", "TEAM", "SHARED")
ROLE_KEYS = {"po": "PO", "pm": "PM", "team": "TEAM"}

# The stored context values, and the sentence that tells the engine's modifiers about them (as if the asker
# had written it before the question, which is how the modifiers read context today).
CONTEXTS: dict[str, str] = {
    "small company": "We are a small company.",
    "one person both roles": "One person plays both roles.",
    "no scrum": "We don't use Scrum.",
    "teams 4": "We have 4 teams.",
    "big company": "We are a big company.",
}
CLEAR = "clear"

WORKSPACE_FLAG = "--workspace"
_OWNER_RE = re.compile(r"^(" + "|".join(re.escape(w) for w in OWNER_WORDS) + r")(?:\s+|$)", re.I)
_CONSULT = re.compile(r"\s+consult:\s*", re.I)
_NOTE = re.compile(r"\s+note:\s*", re.I)
_ROLE_PAIR = re.compile(r"(\w+)\s*=\s*(.+?)(?=\s+\w+\s*=|$)")


def prefix(context: Context) -> str:
    """How a command is typed on the asker's platform: the slash command on Slack, chat text elsewhere."""
    return "/whodecides " if context.platform == "slack" else ""


def usage(context: Context, problem: str, example: str) -> UsageError:
    return UsageError(f"{problem} Usage: {prefix(context)}{example}")


AGREE_EXAMPLE = "agree PO|PM|TEAM|SHARED <decision>, e.g. {p}agree PO the release date"
FORGET_EXAMPLE = "forget <number from the list>, e.g. {p}forget 2 (see {p}agreements)"
ROLES_EXAMPLE = "roles po=@person pm=@person, e.g. {p}roles po=@dana pm=@lee"
CONTEXT_EXAMPLE = "context " + " | ".join([*CONTEXTS, CLEAR]) + ", e.g. {p}context small company"


def _example(context: Context, template: str) -> str:
    return template.format(p=prefix(context))


@dataclass(frozen=True)
class AgreeCommand:
    owner: str
    decision: str
    workspace_wide: bool = False
    consult: str = ""
    note: str = ""


def owner_of(word: str) -> str | None:
    """PO | PM | TEAM | SHARED for an owner word (any case), else None."""
    return OWNER_WORDS.get(" ".join(word.lower().split()))


def check_decision(decision: str, context: Context) -> str:
    decision = " ".join(decision.split()).strip(" .")
    if not decision:
        raise usage(context, "Name the decision.", _example(context, AGREE_EXAMPLE))
    if len(decision) > MAX_DECISION_CHARS:
        raise usage(
            context,
            f"That decision is {len(decision)} characters; keep it under {MAX_DECISION_CHARS}.",
            _example(context, AGREE_EXAMPLE),
        )
    return decision


def parse_agree(rest: str, context: Context) -> AgreeCommand:
    """`[--workspace] OWNER DECISION [consult: A, B] [note: text]`."""
    words = rest.split()
    workspace_wide = WORKSPACE_FLAG in (w.lower() for w in words)
    text = " ".join(w for w in words if w.lower() != WORKSPACE_FLAG)
    match = _OWNER_RE.match(text)
    if match is None:
        said = text.split(" ", 1)[0] if text else ""
        problem = f"“{said}” is not an owner: say PO, PM, TEAM or SHARED." if said else "Say who decides and what."
        raise usage(context, problem, _example(context, AGREE_EXAMPLE))
    owner = OWNER_WORDS[" ".join(match.group(1).lower().split())]
    decision = text[match.end() :]
    note = consult = ""
    parts = _NOTE.split(decision, maxsplit=1)
    if len(parts) == 2:
        decision, note = parts
    parts = _CONSULT.split(decision, maxsplit=1)
    if len(parts) == 2:
        decision, consult = parts
    return AgreeCommand(
        owner,
        check_decision(decision, context),
        workspace_wide,
        consult.strip()[:MAX_CONSULT_CHARS],
        note.strip()[:MAX_NOTE_CHARS],
    )


def parse_number(rest: str, context: Context, count: int) -> int:
    """The N of `forget N`, 1-based, that exists in a list of `count`."""
    word = rest.strip().lstrip("#")
    if not word.isdigit() or not 1 <= int(word) <= count:
        problem = f"There is no agreement number {rest.strip() or '(none given)'} here" + (
            f" (there are {count})." if count else ": none is recorded yet."
        )
        raise usage(context, problem, _example(context, FORGET_EXAMPLE))
    return int(word)


def parse_roles(rest: str, context: Context) -> dict[str, Mention]:
    """`po=@dana pm=@lee`: each holder must be a mention the platform marked, never a typed name."""
    pairs = _ROLE_PAIR.findall(rest.strip())
    consumed = " ".join(f"{k}={v}" for k, v in pairs)
    if not pairs or len(consumed.replace(" ", "")) != len(rest.replace(" ", "")):
        raise usage(context, "Name each role holder as role=@person.", _example(context, ROLES_EXAMPLE))
    out: dict[str, Mention] = {}
    for key, value in pairs:
        role = ROLE_KEYS.get(key.lower())
        if role is None:
            raise usage(context, f"“{key}” is not a role: use po, pm or team.", _example(context, ROLES_EXAMPLE))
        person = _mentioned(value.strip(), context)
        if person is None:
            raise usage(
                context,
                f"“{value.strip()}” is not a mention of a user: @mention them.",
                _example(context, ROLES_EXAMPLE),
            )
        out[role] = person
    return out


def _mentioned(value: str, context: Context) -> Mention | None:
    """The verified mention that `value` stands for: as the adapter wrote it, "@name" or "@id" (Slack) or the
    name itself (Teams keeps people's names as written); text matching no mention entity is never one."""
    said = value.removeprefix("@").strip().lower()
    for mention in context.mentions:
        if said and said in (mention.user_id.lower(), mention.name.lower()):
            return mention
    return None


def parse_context(rest: str, context: Context) -> str:
    value = " ".join(rest.lower().split())
    if value in CONTEXTS or value == CLEAR:
        return value
    problem = f"“{rest.strip()}” is not a context I know." if rest.strip() else "Say which context."
    raise usage(context, problem, _example(context, CONTEXT_EXAMPLE))
