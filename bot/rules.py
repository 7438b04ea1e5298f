"""Loading, validating and overriding the decision rules (bot/rules.yaml, plus WHODECIDES_RULES)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from bot.errors import WhodecidesError
from bot.results import Citation
from bot.textutil import rule_tokens

SHIPPED = Path(__file__).with_name("rules.yaml")
OWNERS = ("PO", "PM", "SHARED", "TEAM")


@dataclass(frozen=True)
class Rule:
    id: str
    area: str
    owner: str
    consulted: tuple[str, ...]
    rationale: str
    citations: tuple[Citation, ...]
    triggers: tuple[tuple[str, ...], ...] = ()  # stemmed token sequences
    trigger_texts: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    priority: int = 1
    examples: tuple[str, ...] = ()  # everyday utterances the intent router learns from
    source: str = ""  # the rules file it was read from, for errors about it


@dataclass(frozen=True)
class Modifier:
    id: str
    area: str
    owner: str
    applies_to: frozenset[str]  # owners it overrides; "none" = when no rule fired
    consulted: tuple[str, ...]
    rationale: str
    note: str
    citations: tuple[Citation, ...]
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    unless_ask: tuple[re.Pattern[str], ...] = ()  # checked on the sentence that asks, not the whole message
    source: str = ""  # the rules file it was read from, for errors about it


@dataclass(frozen=True)
class Outside:
    """A decision area that belongs to neither role (the Scrum Master's, HR's): answered "not sure" with a hint."""

    id: str
    area: str
    hint: str
    triggers: tuple[tuple[str, ...], ...]
    trigger_texts: tuple[str, ...]
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleBook:
    rules: tuple[Rule, ...]
    modifiers: tuple[Modifier, ...]
    outside: tuple[Outside, ...] = ()
    sources: tuple[str, ...] = field(default=())
    digest: str = ""

    @cached_property
    def trigger_starts(self) -> dict[str, tuple[tuple[int, int, frozenset[str]], ...]]:
        """A trigger's first word → (position in (*rules, *outside), position of the trigger, its other words) of
        every trigger starting with it: an answer then looks only at the triggers whose first word it holds, and
        tries to match only those whose other words it holds too."""
        out: dict[str, list[tuple[int, int, frozenset[str]]]] = {}
        for i, item in enumerate((*self.rules, *self.outside)):
            for j, trig in enumerate(item.triggers):
                out.setdefault(trig[0], []).append((i, j, frozenset(trig[1:])))
        return {word: tuple(at) for word, at in out.items()}

    @cached_property
    def pattern_rules(self) -> frozenset[int]:
        """Positions of the rules that have patterns (checked on every answer)."""
        return frozenset(i for i, r in enumerate(self.rules) if r.patterns)

    def by_id(self, rule_id: str) -> Rule | Modifier:
        for r in (*self.rules, *self.modifiers):
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def _fail(where: str, msg: str) -> WhodecidesError:
    return WhodecidesError(f"Rules file {where}: {msg}")


def _strs(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise _fail(where, f"`{key}` must be a list of strings")
    return [str(v) for v in value]


def _citations(raw: Any, where: str) -> tuple[Citation, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "needs at least one citation (doc + verbatim quote)")
    out = []
    for c in raw:
        if not isinstance(c, dict) or not c.get("doc") or not c.get("quote"):
            raise _fail(where, "each citation needs `doc` and `quote`")
        out.append(Citation(doc=str(c["doc"]), quote=str(c["quote"])))
    return tuple(out)


def _regexes(raw: list[str], where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in raw:
        try:
            out.append(re.compile(p, re.I))
        except re.error as exc:
            raise _fail(where, f"bad pattern {p!r}: {exc}") from exc
    return tuple(out)


def _examples(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    examples = [" ".join(x.split()) for x in _strs(raw.get("examples"), where, "examples")]
    return tuple(x for x in examples if x)


def _rule(raw: dict[str, Any], where: str) -> Rule:
    rid = str(raw.get("id") or "")
    where = f"{where}, rule {rid or '?'}"
    if not rid:
        raise _fail(where, "a rule needs an `id`")
    owner = str(raw.get("owner", "")).upper()
    if owner not in OWNERS:
        raise _fail(where, f"`owner` must be one of {', '.join(OWNERS)}")
    texts = _strs(raw.get("triggers"), where, "triggers")
    trig = tuple(tuple(rule_tokens(x)) for x in texts)
    empty = [x for x, toks in zip(texts, trig, strict=True) if not toks]
    if empty:
        raise _fail(where, f"triggers made only of frame or stop words never match: {empty}")
    patterns = _regexes(_strs(raw.get("patterns"), where, "patterns"), where)
    if not trig and not patterns:
        raise _fail(where, "needs `triggers` or `patterns`")
    if not raw.get("rationale"):
        raise _fail(where, "needs a one-sentence `rationale`")
    return Rule(
        id=rid,
        area=str(raw.get("area") or rid),
        owner=owner,
        consulted=tuple(_strs(raw.get("consulted"), where, "consulted")),
        rationale=str(raw["rationale"]).strip(),
        citations=_citations(raw.get("citations"), where),
        triggers=trig,
        trigger_texts=tuple(texts),
        patterns=patterns,
        priority=int(raw.get("priority", 1)),
        examples=_examples(raw, where),
    )


def _modifier(raw: dict[str, Any], where: str) -> Modifier:
    mid = str(raw.get("id") or "")
    where = f"{where}, modifier {mid or '?'}"
    owner = str(raw.get("owner", "")).upper()
    if not mid or owner not in OWNERS:
        raise _fail(where, "a modifier needs an `id` and an `owner`")
    patterns = _regexes(_strs(raw.get("patterns"), where, "patterns"), where)
    if not patterns:
        raise _fail(where, "needs `patterns`")
    return Modifier(
        id=mid,
        area=str(raw.get("area") or mid),
        owner=owner,
        applies_to=frozenset(s if s == "none" else s.upper() for s in _strs(raw.get("applies_to"), where, "applies_to"))
        or frozenset({"PO", "PM", "SHARED", "none"}),
        consulted=tuple(_strs(raw.get("consulted"), where, "consulted")),
        rationale=str(raw.get("rationale") or "").strip(),
        note=str(raw.get("note") or "").strip(),
        citations=_citations(raw.get("citations"), where),
        patterns=patterns,
        unless=_regexes(_strs(raw.get("unless"), where, "unless"), where),
        unless_ask=_regexes(_strs(raw.get("unless_ask"), where, "unless_ask"), where),
    )


def _outside(raw: dict[str, Any], where: str) -> Outside:
    oid = str(raw.get("id") or "")
    where = f"{where}, outside {oid or '?'}"
    texts = _strs(raw.get("triggers"), where, "triggers")
    trig = tuple(tuple(rule_tokens(x)) for x in texts)
    if not oid or not raw.get("hint") or not trig or not all(trig):
        raise _fail(where, "needs an `id`, a `hint` and `triggers` with real words")
    area = str(raw.get("area") or oid)
    return Outside(oid, area, str(raw["hint"]).strip(), trig, tuple(texts), _examples(raw, where))


def _read(path: Path) -> dict[str, Any]:
    try:
        # The C loader, where PyYAML has it, reads the rules in 6 ms instead of 95 ms of every cold start.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # a safe loader (see above)
    except FileNotFoundError as exc:
        raise WhodecidesError(f"Rules file {path} does not exist (check WHODECIDES_RULES).") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise WhodecidesError(f"Rules file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise WhodecidesError(f"Rules file {path}: expected a mapping with `rules:` and/or `modifiers:`.")
    return data


def load_rules(extra: Path | None = None, shipped: Path = SHIPPED) -> RuleBook:
    """The shipped rules, then an org's file: same id replaces, `enabled: false` removes, new ids add."""
    rules: dict[str, Rule] = {}
    mods: dict[str, Modifier] = {}
    outside: dict[str, Outside] = {}
    digest = hashlib.sha256()
    sources = []
    for path in [shipped] + ([Path(extra)] if extra else []):
        data = _read(path)
        digest.update(path.read_bytes())
        sources.append(str(path))
        sections = (("rules", rules, _rule), ("modifiers", mods, _modifier), ("outside", outside, _outside))
        for key, table, build in sections:
            raw_list = data.get(key) or []
            if not isinstance(raw_list, list):
                raise _fail(str(path), f"`{key}` must be a list")
            for raw in raw_list:
                if not isinstance(raw, dict):
                    raise _fail(str(path), f"each entry of `{key}` must be a mapping")
                if raw.get("enabled") is False:
                    table.pop(str(raw.get("id")), None)
                    continue
                known = table.get(str(raw.get("id")))
                if known is not None and set(raw) == {"id", "examples"} and hasattr(known, "examples"):
                    # An org teaches a shipped area its own phrasings without restating the rule.
                    more = _examples(raw, str(path))
                    table[known.id] = replace(known, examples=(*known.examples, *more))  # type: ignore[type-var]
                    continue
                item = build(raw, str(path))
                table[item.id] = replace(item, source=str(path)) if hasattr(item, "source") else item
    return RuleBook(
        tuple(rules.values()), tuple(mods.values()), tuple(outside.values()), tuple(sources), digest.hexdigest()[:16]
    )
