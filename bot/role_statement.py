"""Which role a sentence gives a decision to: "At ACME the Product Owner sets the price" → PO. Pure, no model.

A sentence is read clause by clause ("The PM owns pricing; the PO is consulted"). In each clause a role is the
decider when it is the subject of a decision verb ("the PO sets", "our PM has the final say"), the agent of a
passive one ("is decided by our product manager"), or the one a decision rests with ("belongs to the PO", "is
the PM's call"). A negated verb ("the PO does not set prices") or an aside ("our PO, not the PM, decides")
denies a role instead. Being consulted, informed or asked is not deciding. Two roles deciding "together" (or
"jointly") is SHARED; two roles each said to decide, without that word, is unclear: None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Role mentions. The abbreviations count in upper case only ("po" is also Portuguese, "pm" a time of day).
_MENTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("PO", re.compile(r"\b(?i:product[ -]owners?)\b|\bPOs?\b")),
    ("PM", re.compile(r"\b(?i:product[ -]managers?)\b|(?<!\d )(?<!\d)\bPMs?\b")),  # not "by 5 PM"
    (
        "TEAM",
        re.compile(r"\b(?i:(?:(?:development|dev|engineering|delivery|scrum)\s+)?teams?|developers|engineers)\b"),
    ),
)
# What may stand before a role and belongs to it: "our", "the", "ACME's", "each", "only".
_DET = r"(?:(?:the|our|your|their|its|a|an|each|every|only|whichever|[A-Z][\w&.-]*'s|[A-Z][\w&.-]*’s)\s+)*"
_ROLE = r"⟦(PO|PM|TEAM)⟧(?:'s|’s)?"
_SUBJECT = rf"{_DET}⟦(?P<r1>PO|PM|TEAM)⟧(?:\s*(?:,\s*)?(?:and|&|with)\s+{_DET}⟦(?P<r2>PO|PM|TEAM)⟧)?"
_ASIDE = rf"(?:\s*,?\s*(?:but\s+)?(?:not|rather\s+than|instead\s+of)\s+{_DET}⟦(?P<aside>PO|PM|TEAM)⟧\s*,?)?"
_ADVERBS = (
    r"(?:\s+(?:alone|always|ultimately|usually|also|solely|only|finally|then|now|still|generally|typically|"
    r"normally|together|jointly|both|themselves|himself|herself|will|shall|should|must|may|can|could|would|"
    r"gets\s+to|has\s+to|have\s+to|is\s+to|are\s+to|is\s+the\s+one\s+who|are\s+the\s+ones\s+who|"
    r"is\s+the\s+person\s+who|is\s+who))*"
)
_NEG = (
    r"(?P<neg>\s+(?:does\s+not|doesn't|doesn’t|do\s+not|don't|don’t|did\s+not|didn't|never|cannot|can't|can’t|"
    r"can\s+not|may\s+not|must\s+not|should\s+not|shouldn't|shouldn’t|won't|won’t|will\s+not|is\s+not|isn't|"
    r"isn’t|are\s+not|aren't|aren’t|no\s+longer|not))?"
)
_VERB = (
    r"\s+(?:decides?|decided|sets?|owns?|chooses?|chose|determines?|approves?|signs?\s+off|prioriti[sz]es?|"
    r"orders?|defines?|controls?|picks?|fix(?:es)?|changes?|adjusts?|schedules?|plans?|accepts?|rejects?|writes?|manages?|"
    r"maintains?|positions?|makes?\s+(?:the\s+)?(?:final\s+)?(?:call|calls|decision|"
    r"decisions)|takes?\s+(?:the\s+)?(?:final\s+)?(?:call|decision)|calls?\s+the\s+shots|rules?\s+on|"
    r"ha(?:s|ve)\s+(?:the\s+)?(?:final|last)\s+(?:say|word|call|decision)|"
    r"(?:is|are|be|remains?)\s+(?:solely\s+|ultimately\s+|fully\s+)?(?:responsible|accountable|in\s+charge)|"
    r"(?:is|are|be)\s+(?:the\s+)?(?:decision[- ]makers?|final\s+authority|owners?|deciders?))\b"
)
_ACTIVE = re.compile(rf"(?<![\w⟧]){_SUBJECT}{_ASIDE}{_ADVERBS}{_NEG}{_ADVERBS}{_VERB}", re.I)
_PASSIVE = re.compile(
    r"\b(?:is|are|gets?|was|were|will\s+be|should\s+be|must\s+be|shall\s+be|to\s+be|being)"
    r"(?P<neg>\s+not|n't|n’t)?(?:\s+\w+ly)?\s+"
    r"(?:decided|set|owned|made|chosen|determined|approved|signed\s+off|prioriti[sz]ed|ordered|defined|"
    r"written|accepted|managed|maintained|planned|scheduled|"
    rf"controlled|fixed|picked|agreed)(?:\s+(?:on|upon))?\s+by\s+{_SUBJECT}",
    re.I,
)
_RESTS = re.compile(
    r"\b(?:belongs?|falls?|rests?|sits?|lies?|lie|is\s+up|are\s+up|stays?|remains?)"
    rf"(?P<neg>\s+not)?\s+(?:entirely\s+|solely\s+|firmly\s+)?(?:to|with|under)\s+{_SUBJECT}",
    re.I,
)
_NEITHER = re.compile(rf"\bneither\s+{_DET}⟦(?P<r1>PO|PM|TEAM)⟧\s+nor\s+{_DET}⟦(?P<r2>PO|PM|TEAM)⟧", re.I)
_NEGATED_BEFORE = re.compile(r"(?:\bnot|n't|n’t|\bnever|\bneither|\bnor)\s*$", re.I)
_POSSESSIVE = re.compile(
    rf"(?P<neg>\bnot\s+)?{_DET}⟦(?P<r1>PO|PM|TEAM)⟧(?:'s|’s)\s+(?:own\s+|sole\s+|final\s+)?"
    r"(?:call|decision|responsibility|prerogative|remit|domain)\b",
    re.I,
)
_CONSULTED = re.compile(
    rf"{_ROLE}\s+(?:is|are|gets?|must\s+be|should\s+be|will\s+be)\s+(?:only\s+)?"
    r"(?:consulted|informed|asked|involved|heard|kept\s+informed)",
    re.I,
)
_TOGETHER = re.compile(r"\b(?:together|jointly|both|shared|joint)\b", re.I)
_CLAUSES = re.compile(r"\s*;\s*|,?\s+(?:but|while|whereas|whilst|although)\s+|\.\s+", re.I)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])|\n+|\s+…\s+")  # "…": a list's lead-in, then its item
_NOISE = re.compile(
    r"^\s*(?:(?i:at|in|within|for)\s+(?:[A-Z][\w&.-]*\s*)+,?\s*)?(?:(?i:on|for|over|of|about)\s+)?|\s+(?:together|jointly|alone)\b"
    r"|(?:\s+(?i:is|are|was|be))?[\s,.;:]*$"
)
SHARED = "SHARED"


@dataclass(frozen=True)
class RoleStatement:
    """What one sentence says about who decides."""

    sentence: str
    role: str | None  # PO | PM | TEAM | SHARED; None when the sentence does not say who decides
    decision: str = ""  # what is decided: the deciding clause without its role and verb ("the price")
    denied: frozenset[str] = field(default_factory=frozenset)  # roles it says do not decide
    consulted: frozenset[str] = field(default_factory=frozenset)  # roles it says are consulted or informed


def _mark(sentence: str) -> str:
    """Each role mention becomes a token ⟦PO⟧ / ⟦PM⟧ / ⟦TEAM⟧ (the more specific names first)."""
    out = sentence
    for role, rx in _MENTIONS:
        out = rx.sub(f"⟦{role}⟧", out)
    return out


def _decision_text(clause: str, span: tuple[int, int]) -> str:
    rest = f"{clause[: span[0]]} {clause[span[1] :]}"
    rest = re.sub(rf"{_DET}⟦(?:PO|PM|TEAM)⟧(?:'s|’s)?", " ", rest, flags=re.I)
    rest = re.sub(r"\b(?:not|rather\s+than|instead\s+of)\s*,", " ", rest)
    rest = _NOISE.sub(" ", " ".join(rest.split()))
    return " ".join(rest.split()).strip(" ,.;:")


def _clause(clause: str) -> tuple[set[str], set[str], set[str], str]:
    """(roles said to decide, roles denied, roles consulted, what is decided) in one clause."""
    yes: set[str] = set()
    no: set[str] = set()
    consulted = {m.group(1).upper() for m in _CONSULTED.finditer(clause)}
    no.update(g.upper() for m in _NEITHER.finditer(clause) for g in m.groups())
    decision = ""
    for rx in (_ACTIVE, _PASSIVE, _RESTS, _POSSESSIVE):
        for m in rx.finditer(clause):
            groups = m.groupdict()
            roles = {g.upper() for g in (groups.get("r1"), groups.get("r2")) if g}
            # "neither the PO nor the PM decides", "does not belong to the PM"
            negated = bool(groups.get("neg")) or bool(_NEGATED_BEFORE.search(clause[: m.start()]))
            (no if negated else yes).update(roles)
            if groups.get("aside"):
                no.add(groups["aside"].upper())
            if not negated and not decision:
                decision = _decision_text(clause, m.span())
    return yes, no, consulted, decision


def role_statement(sentence: str) -> RoleStatement:
    """The role `sentence` gives its decision to, if it gives it to one."""
    text = " ".join(sentence.split())
    marked = _mark(text)
    if "⟦" not in marked:
        return RoleStatement(text, None)
    yes: set[str] = set()
    no: set[str] = set()
    consulted: set[str] = set()
    decision = ""
    together = False
    for clause in _CLAUSES.split(marked):
        y, n, c, d = _clause(clause)
        yes |= y
        no |= n
        consulted |= c
        if y and not decision:
            decision = d
        together = together or (len(y) > 1 and bool(_TOGETHER.search(clause)))
    deciders = yes - no
    role: str | None = None
    if len(deciders) == 1:
        role = next(iter(deciders))
    elif deciders == {"PO", "PM"} and together:
        role = SHARED
    return RoleStatement(text, role, decision if role else "", frozenset(no - yes), frozenset(consulted - yes))


def stated_role(sentence: str) -> str | None:
    return role_statement(sentence).role


def sentences(text: str) -> list[str]:
    """A passage's sentences (and list items, which are lines)."""
    out = []
    for part in _SENTENCES.split(text):
        s = " ".join(part.split()).lstrip("-*•+ ").strip()
        if s:
            out.append(s)
    return out


def role_statements(text: str) -> list[RoleStatement]:
    """Every sentence of `text` that says which role decides something. A sentence that gives two decisions
    to two roles ("The PO orders the backlog, but the PM sets the roadmap") gives one statement per clause."""
    out = []
    for sentence in sentences(text):
        whole = role_statement(sentence)
        if whole.role is not None:
            out.append(whole)
            continue
        for clause in _CLAUSES.split(sentence):
            part = role_statement(clause)
            if part.role is not None and clause != sentence:
                out.append(RoleStatement(sentence, part.role, part.decision, whole.denied, whole.consulted))
    return out


__all__ = ["SHARED", "RoleStatement", "role_statement", "role_statements", "sentences", "stated_role"]
