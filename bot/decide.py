"""The ask + what the router and retrieval found + rules → Recommendation. Pure: no I/O, no model.

Three steps: `match` lists every decision area the ask may be about (the router's probabilities, the rules'
trigger phrasings, the "how to build it" cue), `score` picks the best and measures how far ahead it is of the
best area with another owner, and `apply_modifiers` lets the whole message's context (company size, Scrum,
many teams) change the owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from bot.results import ROLE_NAMES, Citation, Owner, RuleMatch
from bot.router import Route
from bot.rules import Modifier, Outside, Rule, RuleBook
from bot.technical import asks_technical_choice, names_technical
from bot.textutil import fold, rule_tokens

MAX_GAP = 3  # other words allowed inside a trigger's span ("order of the items in the backlog")

# --- fusing the router with the triggers (calibrated on the tuning half of realistic.jsonl, see README) ----------
TRIGGER_WEIGHT = 0.35  # a full-strength trigger (three words) adds this much to an area's router probability
TRIGGER_FULL = 3.0  # trigger strength (words matched) counted as full
BUILD_CUE_WEIGHT = 0.25  # "how do we build it" / "X vs Y" in the ask, added to the team's technical area
# "my expense claim", "my vacation days", or an outside phrase ("expense reports") stronger than any rule's trigger:
# a personal or company matter, whatever product word is near ("…for the roadmap offsite", "…for client dinners").
PERSONAL_WEIGHT = 0.3
# ... twice that right after "my": "my expenses for the product marketing summit" is mine, whatever the router
# sums over the PM's areas for "product marketing" (1 more right on the tuning halves, none lost; 2 and 3 alike).
MINE_FACTOR = 2
# The ask names a technical thing without a choice ("who decides the retry strategy?", "rewrite the legacy PHP
# admin?"): a nudge, not a verdict, as "the goal of the rewrite" or "over budget on the migration" are not the
# team's. 0.4 moved nothing on the tuning halves and added 3 evidence hits on the check halves (0.2–0.4 swept).
TECH_OBJECT_WEIGHT = 0.4
TECH_CHOICE_WEIGHT = 1.3  # a choice between named technical alternatives ("Jest or Vitest", bot/technical.py): it
# outweighs any product word beside it (a router probability plus a trigger); 0.8 left "which charting lib for the
# roadmap view, d3 or recharts?" with the roadmap. No false fire moved on the tuning halves or on trial3.
# Below this fused score the best owner is a guess: "not sure". Read off `python -m bot.calibrate` (README) on
# the tuning sets: at 0.45, "not sure" precision 0.933 and recall 0.875, given to 0.4% of answerable questions.
NOT_SURE_BELOW = 0.45
# A question that asks something else ("When did Apollo 11 launch?", `weak_keyword_only`) needs a surer owner:
# 0.6 and 0.8 each made 2 more right on the tuning halves (both factual questions) and lost none.
OTHER_QUESTION_BAR = 0.6
CLOSE_CALL = 0.15  # two owners this close: say which reading gives which answer
ALSO_AREAS = 1  # the owner's next areas whose citations are shown too, when the question sits between them
ALSO_SHARE = 0.5  # ... if they score at least this share of the best area

# --- confidence ---------------------------------------------------------------------------------------------------
# "high" (≥ 0.75) needs a lead of about 0.5 over the next owner: 99.5% of those answers were right (calibrate).
CONF_BASE = 0.30  # a bare winner with no lead over another owner
CONF_PER_LEAD = 0.9  # each point of lead over the best other owner adds this much
CONF_CLOSE_MAX = 0.6  # a close call is never more than medium
CONF_DISAGREE_MAX = 0.7  # nor an answer against another owner's full-strength trigger (see `_outspoken_rival`)
CONF_MAX = 0.97  # never certain: the sources are opinions
CONF_MODIFIER = 0.7  # context stated in the message (company size, no Scrum) is explicit: at least medium-high
CONF_EVIDENCE_STEP = 0.03  # each top passage describing the owner's role (minus the other role's)

TEAM_HOW = "team-how"

# A lone keyword ("launch", "brand") in a question that asks something else ("When did Apollo 11 launch?") is
# not enough to answer for a role. A bare decision ("/whodecides pricing") is fine: the command asks "who".
_OTHER_QUESTION = re.compile(
    r"^\W*(what(?!\s+about)|what's|whats|when|where|why|how|is|are|was|were|do|does|did|can|could|will|would|tell|give|show)\b",
    re.I,
)
_ASKS_WHO = re.compile(
    r"\b(who|whom|whose|which role|decid\w*|decision\w*|responsib\w*|accountab\w*|own|owns|owner\w*|"
    r"ownership|in charge|call|say|approv\w*|choos\w*|chose|pick\w*|determin\w*|should|po|pm|pos|pms|"
    r"product owners?|product managers?|dev(elopment)? team|scrum)\b",
    re.I,
)
# "How it gets built": how we build / implement / wire / store …, or a choice between two named things.
_HOW_BUILT = re.compile(
    r"\bhow\s+(?:do\s+|should\s+|would\s+|will\s+|can\s+|to\s+|we\s+)*(?:we\s+|i\s+|they\s+|you\s+)?"
    r"(?:actually\s+|really\s+|best\s+|even\s+|just\s+)?"
    r"(?:build|implement|wire|architect|structure|code|store|model|host|deploy|scale|test|migrate|integrate|"
    r"cache|speed|optimi[sz]e|refactor|split|design\s+the\s+(?:api|schema|data|service|system))\w*",
    re.I,
)
_ALTERNATIVES = re.compile(
    r"\b[\w.+#/-]+\s+(?:vs\.?|versus)\s+(?:an?\s+|the\s+)?[\w.+#/-]+"
    # "do we use okta or auth0?": what a team uses is a tool, whatever the tools are called
    r"|\b(?:use|using|adopt|switch\s+to|migrate\s+to)\s+[\w.+#/-]+\s+(?:or|instead\s+of)\s+[\w.+#/-]+",
    re.I,
)
# "is that a product call or ours?", "a product decision or an eng one?": the asker suspects it is technical.
_PRODUCT_OR_ENG = re.compile(
    r"\b(?:product|business)\s+(?:decision|call|question|thing|choice)\s+or\s+(?:an?\s+)?"
    r"(?:eng\w*|tech\w*|dev\w*|ours|our\s+call|the\s+team'?s)"
    r"|\b(?:decide|call|choose|pick)\s+(?:it\s+|this\s+|that\s+)?(?:ourselves|on\s+our\s+own)\b"
    r"|\b(?:eng\w*|tech\w*|dev)\s+(?:decision|call|question|thing|choice)\s+or\s+(?:an?\s+)?(?:product|business)\b"
    # "whose call is the tech?", "who owns the technical side?": the thing asked about is the technology itself
    r"|\b(?:the|our)\s+(?:tech|technical|technology|engineering)(?:\s+(?:side|part|bit|approach|stack|solution))?"
    r"(?!\s+(?:lead|leads|writer|writers|debt|support|team|interview|talk|review))"
    r"(?:\s+(?:here|then|now|tbh|though|anyway))?\s*(?:[?.!,]|$)",
    re.I,
)
_QUOTED = re.compile(r"(['\"“‘])([^'\"“”‘’]{2,80})(['\"”’])")


@dataclass(frozen=True)
class TriggerHit:
    rule: Rule
    trigger: str
    strength: float  # words matched, plus a little when they stand together

    @property
    def key(self) -> tuple[float, int]:
        return (self.strength, self.rule.priority)


@dataclass(frozen=True)
class Evidence:
    """What the models say: the router's best intents, and the roles of the top passages."""

    roles: tuple[tuple[str | None, float], ...] = ()  # (role hint, weight) best first
    on_topic: bool = False
    routes: tuple[Route, ...] = ()  # the router's best intents, most probable first
    probabilities: dict[str, float] = field(default_factory=dict)  # every intent's probability


_OWNERS = {o.value: o for o in Owner}


class _CandidateFields(NamedTuple):
    item: Rule | Outside
    router: float  # the router's probability
    bonus: float  # what the rule's triggers and the build cue add
    trigger: float
    example: str
    # Derived once: scoring reads an answer's ~60 candidates' owners and scores ~300 times.
    owner: Owner
    score: float
    priority: int  # the rule's (1 for an outside area): breaks a tie of scores


class Candidate(_CandidateFields):
    """One area the ask may be about. An immutable tuple rather than a frozen dataclass: an answer builds ~60, and
    a frozen dataclass' __init__ (an object.__setattr__ per field) cost ~1.2 µs each, 3× this."""

    __slots__ = ()

    def __new__(
        cls, item: Rule | Outside, router: float = 0.0, bonus: float = 0.0, trigger: float = 0.0, example: str = ""
    ) -> Candidate:
        if isinstance(item, Rule):
            owner, priority = _OWNERS[item.owner], item.priority
        else:
            owner, priority = Owner.UNKNOWN, 1
        return tuple.__new__(cls, (item, router, bonus, trigger, example, owner, router + bonus, priority))


_BEST_FIRST = attrgetter("score", "priority")  # = (c.score, c.priority): the order candidates are ranked in


@dataclass(frozen=True)
class OwnerScore:
    """One owner's case: the router's probabilities of all its areas, plus its best area's trigger bonus."""

    owner: Owner
    score: float
    best: Candidate


def by_owner(candidates: Sequence[Candidate]) -> list[OwnerScore]:
    groups: dict[Owner, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault(c.owner, []).append(c)
    out = []
    for owner, group in groups.items():
        best = max(group, key=_BEST_FIRST)
        # All its areas count: measured against only the best one or two, the sum answered more questions right.
        out.append(OwnerScore(owner, sum(c.router for c in group) + max(c.bonus for c in group), best))
    return sorted(out, key=lambda o: o.score, reverse=True)


@dataclass(frozen=True)
class Recommendation:
    owner: Owner
    confidence: float
    consulted: tuple[str, ...]
    rationale: str
    rules: tuple[RuleMatch, ...]
    notes: tuple[str, ...] = ()
    hint: str | None = None  # for UNKNOWN: where the question belongs instead

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(c for r in self.rules for c in r.citations)


# --- triggers --------------------------------------------------------------------------------------------------
def _match(seq: Sequence[str], trig: Sequence[str]) -> tuple[bool, bool]:
    """Is `trig` an in-order subsequence of `seq` within a short span? And is it contiguous?"""
    n = len(trig)
    if n == 1:  # the scan below finds a one-word trigger, contiguous, wherever the word is
        return (True, True) if trig[0] in seq else (False, False)
    best = None
    for start, tok in enumerate(seq):
        if tok != trig[0]:
            continue
        i, pos = 1, start
        for j in range(start + 1, min(len(seq), start + n + MAX_GAP)):
            if i < n and seq[j] == trig[i]:
                i += 1
                pos = j
        if i == n:
            if pos - start + 1 == n:
                return True, True
            best = (True, False)
    return best or (False, False)


def _strength(
    seq: Sequence[str], triggers: Sequence[Sequence[str]], present: frozenset[str] | None = None
) -> tuple[float, int]:
    """The best trigger's strength and its position in the list (-1 when none fires)."""
    present = frozenset(seq) if present is None else present
    # Most triggers start with a word the question lacks: one set test skips the scan.
    return _strength_of(seq, triggers, [i for i, trig in enumerate(triggers) if trig[0] in present])


def _strength_of(seq: Sequence[str], triggers: Sequence[Sequence[str]], positions: Iterable[int]) -> tuple[float, int]:
    """`_strength` over the triggers at `positions` (ascending): the first of equally strong ones wins."""
    best, where = 0.0, -1
    for i in positions:
        trig = triggers[i]
        ok, contiguous = _match(seq, trig)
        strength = len(trig) + (0.5 if contiguous and len(trig) > 1 else 0.0)
        if ok and strength > best:
            best, where = strength, i
    return best, where


def _fired(seq: Sequence[str], book: RuleBook) -> dict[int, list[int]]:
    """Position in (*rules, *outside) → the positions of its triggers whose words the question all holds.

    Through the book's index of first words, so an answer looks at those few triggers, not all ~1,100; of those,
    ~85% lack another of their words, so `_match` could not find them: a set test skips them."""
    out: dict[int, list[int]] = {}
    present = set(seq)
    for word in present:
        for item, trig, others in book.trigger_starts.get(word, ()):
            if others <= present:
                out.setdefault(item, []).append(trig)
    for positions in out.values():
        positions.sort()
    return out


def match_rules(topic: str, book: RuleBook) -> list[TriggerHit]:
    """Every rule whose trigger fires on the topic, strongest first (one hit per rule: its best trigger)."""
    seq = rule_tokens(unquote(topic))
    return _rule_hits(topic, seq, _fired(seq, book), book)


def _rule_hits(topic: str, seq: Sequence[str], fired: dict[int, list[int]], book: RuleBook) -> list[TriggerHit]:
    folded = fold(topic)
    hits: list[TriggerHit] = []
    # In the book's order (the sort below is stable): the rules with a trigger start present or a pattern.
    for i in sorted(fired.keys() & range(len(book.rules)) | book.pattern_rules):
        rule = book.rules[i]
        strength, where = _strength_of(seq, rule.triggers, fired.get(i, ()))
        best = TriggerHit(rule, rule.trigger_texts[where], strength) if where >= 0 else None
        for rx in rule.patterns:
            if rx.search(folded) and (best is None or best.strength < 3.0):
                best = TriggerHit(rule, rx.pattern, 3.0)
        if best:
            hits.append(best)
    hits.sort(key=lambda h: h.key, reverse=True)
    return hits


# Before a quote, these make it wording under discussion; other quotes are scare quotes ("what 'success' means").
_WORDING_CUE = re.compile(
    r"\b(?:say|says|said|read|reads|show|shows|display|displays|label(?:led|ed)?|call(?:ed)?|name(?:d)?|title(?:d)?|"
    r"text|copy|wording|button|headline|tagline|slogan|cta|heading|message|placeholder|from|to|or|vs|versus|and)"
    r"\W{0,3}$",
    re.I,
)


def unquote(text: str) -> str:
    """Quoted words are wording under discussion ("should the button say 'Start free trial'?"), not the topic; a
    single quoted word with no such cue is a scare quote and stays a word ("who defines what 'success' means?")."""

    def repl(m: re.Match[str]) -> str:
        inner = m.group(2)
        if " " not in inner.strip() and not _WORDING_CUE.search(text[: m.start()]):
            return inner
        return " the wording "

    return _QUOTED.sub(repl, text)


def asks_how_to_build(topic: str) -> bool:
    """The "how" of building: a how-to-build verb, or a choice between two named things ("kafka vs sqs")."""
    text = unquote(topic)
    return bool(_HOW_BUILT.search(text) or _ALTERNATIVES.search(text) or _PRODUCT_OR_ENG.search(text))


def _unquoted(text: str) -> str:
    """Scare quotes are not words: "one 'product person'" is one product person (apostrophes inside words stay)."""
    return re.sub(r"(?<!\w)['\"]|['\"](?!\w)", "", text)


def matching_modifier(question: str, owner: str | None, book: RuleBook, ask: str | None = None) -> Modifier | None:
    folded, folded_ask = _unquoted(fold(question)), _unquoted(fold(ask if ask is not None else question))
    for m in book.modifiers:
        if (owner or "none") not in m.applies_to:
            continue
        if not any(rx.search(folded) for rx in m.patterns) or any(rx.search(folded) for rx in m.unless):
            continue
        if not any(rx.search(folded_ask) for rx in m.unless_ask):
            return m
    return None


# --- step 1: match -----------------------------------------------------------------------------------------------
def match(question: str, topic: str, evidence: Evidence, book: RuleBook) -> list[Candidate]:
    """Every area the ask may be about, fused score first."""
    plain = unquote(topic)
    seq = rule_tokens(plain)
    fired = _fired(seq, book)
    hits = {h.rule.id: h for h in _rule_hits(topic, seq, fired, book)}
    if hits and max(h.strength for h in hits.values()) <= 1.0 and weak_keyword_only(question):
        hits = {}
    n_rules = len(book.rules)
    examples = {r.intent: r.example for r in evidence.routes}
    build_cue = asks_how_to_build(topic)
    tech_choice = asks_technical_choice(plain)
    tech_obj = names_technical(plain)
    probabilities = evidence.probabilities
    mine = _personal(topic)
    strongest = max((h.strength for h in hits.values()), default=0.0)
    out = []
    for i, item in enumerate((*book.rules, *book.outside)):
        p = probabilities.get(item.id, 0.0)
        if i < n_rules:
            t, where = (hits[item.id].strength if item.id in hits else 0.0), -1
        else:
            t, where = _strength_of(seq, item.triggers, fired.get(i, ()))
        bonus = TRIGGER_WEIGHT * min(t, TRIGGER_FULL) / TRIGGER_FULL
        # A lone outside word counts when no rule trigger fired at all ("the seating plan when the team moves").
        floor = 2.0 if strongest else 1.0
        if i >= n_rules and where >= 0 and (item.triggers[where][0] in mine or t >= max(floor, strongest + 0.5)):
            bonus += PERSONAL_WEIGHT * (MINE_FACTOR if item.triggers[where][0] in mine else 1)
        if item.id == TEAM_HOW:
            bonus += max(BUILD_CUE_WEIGHT * build_cue, TECH_CHOICE_WEIGHT * tech_choice, TECH_OBJECT_WEIGHT * tech_obj)
        if p + bonus > 0:
            out.append(Candidate(item, p, bonus, t, examples.get(item.id, "")))
    out.sort(key=_BEST_FIRST, reverse=True)
    return out


_MY = re.compile(r"\bmy\s+((?:[\w-]+\s+){0,2}[\w-]+)", re.I)


def _personal(topic: str) -> frozenset[str]:
    """The stems of the up to three words right after "my": "approve my vacation days for the sprint" → {vacat, day}."""
    return frozenset(t for m in _MY.finditer(fold(topic)) for t in rule_tokens(m.group(1)))


def weak_keyword_only(question: str) -> bool:
    """A question that asks something else ("when did Apollo 11 launch?"), not who decides."""
    return bool(_OTHER_QUESTION.search(question)) and not _ASKS_WHO.search(question)


# --- step 2: score -----------------------------------------------------------------------------------------------
def _as_match(r: Rule | Modifier, example: str = "") -> RuleMatch:
    return RuleMatch(
        id=r.id,
        area=r.area,
        owner=r.owner,
        rationale=r.rationale,
        citations=r.citations,
        consulted=r.consulted,
        example=example,
    )


def _evidence_shift(owner: str, evidence: Evidence) -> float:
    """Passages that describe the owner's role raise confidence; the other role's lower it."""
    if owner not in (Owner.PO, Owner.PM):
        return 0.0
    shift = 0.0
    for role, _ in evidence.roles[:3]:
        if role == owner:
            shift += CONF_EVIDENCE_STEP
        elif role in (Owner.PO, Owner.PM):
            shift -= CONF_EVIDENCE_STEP
    return shift


def _clamp(x: float, lo: float = 0.05, hi: float = CONF_MAX) -> float:
    return max(lo, min(hi, x))


def _decides(owner: str) -> str:
    return {
        Owner.SHARED: "the Product Owner and the Product Manager decide together",
        Owner.UNKNOWN: "it is neither role's decision",
    }.get(owner, f"the {ROLE_NAMES[owner]} decides")


def _outspoken_rival(candidates: Sequence[Candidate], best: Candidate) -> Candidate | None:
    """Another owner's area whose trigger matched at full strength, when the winner's did not."""
    if best.trigger >= TRIGGER_FULL:
        return None
    return next(
        (c for c in candidates if c.owner not in (best.owner, Owner.UNKNOWN) and c.trigger >= TRIGGER_FULL), None
    )


def score(candidates: list[Candidate], evidence: Evidence, threshold: float = NOT_SURE_BELOW) -> Recommendation | None:
    """The best-supported owner and its best area, with a confidence from its lead over the next owner."""
    owners = by_owner(candidates)
    if not owners or owners[0].score < threshold:
        return None
    top = owners[0]
    rival = owners[1] if len(owners) > 1 else None
    lead = top.score - (rival.score if rival else 0.0)
    best = top.best
    if isinstance(best.item, Outside):
        return Recommendation(
            owner=Owner.UNKNOWN,
            confidence=0.0,
            consulted=(),
            rationale="This is not a Product Owner or Product Manager decision.",
            rules=(),
            hint=best.item.hint,
        )
    rule = best.item
    conf = CONF_BASE + CONF_PER_LEAD * lead + _evidence_shift(rule.owner, evidence)
    notes: tuple[str, ...] = ()
    if rival is not None and lead < CLOSE_CALL:
        conf = min(conf, CONF_CLOSE_MAX)
        notes = (f"A close call: if you mean {rival.best.item.area.lower()}, then {_decides(rival.owner)}.",)
    elif (against := _outspoken_rival(candidates, best)) is not None:
        # The router and the rules' own wording disagree: the answer stands, but not with high confidence.
        conf = min(conf, CONF_DISAGREE_MAX)
        notes = (
            f"The wording also fits {against.item.area.lower()}: if that is what you mean, then "
            f"{_decides(against.owner)}.",
        )
    second = [c for c in candidates if c.owner == top.owner and c is not best and isinstance(c.item, Rule)]
    also = [c for c in second[:ALSO_AREAS] if c.score >= ALSO_SHARE * best.score]
    return Recommendation(
        owner=top.owner,
        confidence=_clamp(conf),
        consulted=rule.consulted,
        rationale=rule.rationale,
        rules=(_as_match(rule, best.example if best.router >= best.bonus else ""),)
        + tuple(_as_match(c.item, c.example) for c in also if isinstance(c.item, Rule)),
        notes=notes,
    )


# --- step 3: modifiers -------------------------------------------------------------------------------------------
def apply_modifiers(
    question: str, rec: Recommendation | None, book: RuleBook, ask: str | None = None
) -> Recommendation | None:
    """Context stated anywhere in the message (a tiny company, no Scrum, many teams) can change the owner."""
    if rec is not None and rec.owner == Owner.UNKNOWN:
        return rec
    mod = matching_modifier(question, rec.owner if rec else None, book, ask)
    if not mod:
        return rec
    base_rules = rec.rules if rec else ()
    rationale = mod.rationale
    if rec and rec.owner in (Owner.PO, Owner.PM) and mod.owner != rec.owner and mod.owner == Owner.SHARED:
        rationale += f" Here it is the {'strategic (PM)' if rec.owner == Owner.PM else 'tactical (PO)'} hat."
    return Recommendation(
        owner=Owner(mod.owner),
        confidence=_clamp(max(CONF_MODIFIER, rec.confidence if rec else CONF_MODIFIER)),
        consulted=mod.consulted,
        rationale=rationale,
        rules=(_as_match(mod), *base_rules),
        notes=(mod.note,) if mod.note else (),
    )


def decide(question: str, topic: str, evidence: Evidence, book: RuleBook) -> Recommendation | None:
    """The recommendation, or None when neither rules nor the router support one (the caller says UNKNOWN).

    `question` is the whole message (its context feeds the modifiers); `topic` is what the ask is about.
    """
    bar = OTHER_QUESTION_BAR if weak_keyword_only(question) else NOT_SURE_BELOW
    return apply_modifiers(question, score(match(question, topic, evidence, book), evidence, bar), book, topic)
