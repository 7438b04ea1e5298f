"""question + passages + rules → Recommendation. Pure: no I/O, no model."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.results import Citation, RuleMatch
from bot.rules import Modifier, Rule, RuleBook
from bot.textutil import fold, rule_tokens

MAX_GAP = 3  # other words allowed inside a trigger's span ("order of the items in the backlog")
SEMANTIC_MIN = 0.62  # cosine above which a rule's phrasing counts as a paraphrase of the topic
SEMANTIC_MARGIN = 0.03  # ... and by this much over the best rule of another owner

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
    """What retrieval says: the role each top passage describes, and how on-topic the question is."""

    roles: tuple[tuple[str | None, float], ...]  # (role hint, weight) best first
    on_topic: bool
    semantic: tuple[tuple[str, float], ...] = ()  # (rule id, cosine of the topic with its closest phrasing)


@dataclass(frozen=True)
class Recommendation:
    owner: str
    confidence: float
    consulted: tuple[str, ...]
    rationale: str
    rules: tuple[RuleMatch, ...]
    notes: tuple[str, ...] = ()
    hint: str | None = None  # for UNKNOWN: where the question belongs instead

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(c for r in self.rules for c in r.citations)


def _match(seq: Sequence[str], trig: Sequence[str]) -> tuple[bool, bool]:
    """Is `trig` an in-order subsequence of `seq` within a short span? And is it contiguous?"""
    n = len(trig)
    best = None
    for start, tok in enumerate(seq):
        if tok != trig[0]:
            continue
        i, pos = 1, start
        limit = start + n + MAX_GAP
        for j in range(start + 1, min(len(seq), limit)):
            if i < n and seq[j] == trig[i]:
                i += 1
                pos = j
        if i == n:
            contiguous = pos - start + 1 == n
            if contiguous:
                return True, True
            best = (True, False)
    return best or (False, False)


def match_rules(topic: str, book: RuleBook) -> list[TriggerHit]:
    """Every rule that fires on the topic, strongest first (one hit per rule: its best trigger)."""
    seq = rule_tokens(topic)
    folded = fold(topic)
    hits: list[TriggerHit] = []
    for rule in book.rules:
        best: TriggerHit | None = None
        for text, trig in zip(rule.trigger_texts, rule.triggers, strict=False):
            ok, contiguous = _match(seq, trig)
            if ok:
                h = TriggerHit(rule, text, len(trig) + (0.5 if contiguous and len(trig) > 1 else 0.0))
                if best is None or h.strength > best.strength:
                    best = h
        for rx in rule.patterns:
            if rx.search(folded):
                h = TriggerHit(rule, rx.pattern, 3.0)
                if best is None or h.strength > best.strength:
                    best = h
        if best:
            hits.append(best)
    hits.sort(key=lambda h: h.key, reverse=True)
    return hits


def _outside_strength(topic: str, book: RuleBook) -> tuple[float, str | None]:
    seq = rule_tokens(topic)
    best, hint = 0.0, None
    for out in book.outside:
        for trig in out.triggers:
            ok, contiguous = _match(seq, trig)
            strength = len(trig) + (0.5 if contiguous and len(trig) > 1 else 0.0)
            if ok and strength > best:
                best, hint = strength, out.hint
    return best, hint


def matching_modifier(question: str, owner: str | None, book: RuleBook) -> Modifier | None:
    folded = fold(question)
    for m in book.modifiers:
        if (owner or "none") not in m.applies_to:
            continue
        if any(rx.search(folded) for rx in m.patterns) and not any(rx.search(folded) for rx in m.unless):
            return m
    return None


def _as_match(r: Rule | Modifier) -> RuleMatch:
    return RuleMatch(
        id=r.id,
        area=r.area,
        owner=r.owner,
        rationale=r.rationale,
        citations=r.citations,
        consulted=r.consulted,
    )


def _vote(evidence: Evidence) -> tuple[str | None, float]:
    """The role the top passages describe, and its share of the vote."""
    mass: dict[str, float] = {}
    for role, weight in evidence.roles:
        if role in ("PO", "PM"):
            mass[role] = mass.get(role, 0.0) + weight
    total = sum(mass.values())
    if not total:
        return None, 0.0
    role = max(mass, key=lambda k: mass[k])
    return role, mass[role] / total


def _evidence_shift(owner: str, evidence: Evidence) -> float:
    """Passages that describe the owner's role raise confidence; the other role's lower it."""
    if owner not in ("PO", "PM"):
        return 0.0
    shift = 0.0
    for role, _ in evidence.roles[:3]:
        if role == owner:
            shift += 0.03
        elif role in ("PO", "PM"):
            shift -= 0.04
    return shift


def _semantic_hits(evidence: Evidence, book: RuleBook) -> list[TriggerHit]:
    """No trigger fired: take the rule whose phrasing is closest in meaning, if it is close and unrivalled."""
    if not evidence.semantic:
        return []
    rule_id, cos = evidence.semantic[0]
    if cos < SEMANTIC_MIN:
        return []
    try:
        rule = book.by_id(rule_id)
    except KeyError:
        return []
    if not isinstance(rule, Rule):
        return []
    for other_id, other_cos in evidence.semantic[1:]:
        other = next((r for r in book.rules if r.id == other_id), None)
        if other and other.owner != rule.owner and cos - other_cos < SEMANTIC_MARGIN:
            return []
    # Weaker than any spelled-out trigger: confidence starts at 0.6 + 0.1 × 0.5.
    return [TriggerHit(rule, f"≈ {cos:.2f}", 0.5)]


def _clamp(x: float, lo: float = 0.05, hi: float = 0.97) -> float:
    return max(lo, min(hi, x))


def decide(question: str, topic: str, evidence: Evidence, book: RuleBook) -> Recommendation | None:
    """The recommendation, or None when neither rules nor evidence support one (the caller says UNKNOWN)."""
    hits = match_rules(topic, book)
    outside, hint = _outside_strength(topic, book)
    if hint and outside >= (hits[0].strength if hits else 0.0):
        return Recommendation(
            owner="UNKNOWN",
            confidence=0.0,
            consulted=(),
            rationale="This is not a Product Owner or Product Manager decision.",
            rules=(),
            hint=hint,
        )
    hits = hits or _semantic_hits(evidence, book)
    if hits and hits[0].strength <= 1.0 and _OTHER_QUESTION.search(question) and not _ASKS_WHO.search(question):
        hits = []  # one weak keyword in a question that asks nothing about roles
    rec: Recommendation | None = None
    if hits:
        best = hits[0]
        rival = next((h for h in hits[1:] if h.rule.owner != best.rule.owner), None)
        conf = 0.6 + 0.1 * min(best.strength, 3.0)
        if rival and rival.strength >= best.strength:
            conf -= 0.2  # as strong a trigger for another owner: priority decided it
        elif rival and rival.strength >= best.strength - 1:
            conf -= 0.08
        conf += _evidence_shift(best.rule.owner, evidence)
        matched = [best] + [h for h in hits[1:] if h.rule.owner == best.rule.owner and h.strength >= best.strength - 1]
        rec = Recommendation(
            owner=best.rule.owner,
            confidence=_clamp(conf),
            consulted=best.rule.consulted,
            rationale=best.rule.rationale,
            rules=tuple(_as_match(h.rule) for h in matched[:2]),
        )
    elif evidence.on_topic:
        role, share = _vote(evidence)
        if role and share >= 0.7:
            other = "Product Manager" if role == "PO" else "Product Owner"
            name = "Product Owner" if role == "PO" else "Product Manager"
            rec = Recommendation(
                owner=role,
                confidence=_clamp(0.3 + 0.25 * share, hi=0.55),
                consulted=(other,),
                rationale=(
                    f"No rule covers this exactly; the closest passages describe it as the {name}'s work, "
                    f"so check with the {other}."
                ),
                rules=(),
            )

    mod = matching_modifier(question, rec.owner if rec else None, book)
    if mod:
        base_rules = rec.rules if rec else ()
        rationale = mod.rationale
        if rec and rec.owner in ("PO", "PM") and mod.owner != rec.owner:
            hat = "strategic (PM)" if rec.owner == "PM" else "tactical (PO)"
            rationale += f" Here it is the {hat} hat." if mod.owner == "SHARED" else ""
        rec = Recommendation(
            owner=mod.owner,
            confidence=_clamp(max(0.7, rec.confidence if rec else 0.7)),
            consulted=mod.consulted,
            rationale=rationale,
            rules=(_as_match(mod), *base_rules),
            notes=(mod.note,) if mod.note else (),
        )
    return rec
