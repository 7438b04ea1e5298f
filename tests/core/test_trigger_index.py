"""Triggers are looked up through the book's index of first words: the hits must be exactly those of scanning
every trigger of every rule, in the same order."""

import json
from pathlib import Path

from bot.decide import TriggerHit, _match, match_rules, unquote
from bot.rules import RuleBook, load_rules
from bot.textutil import fold, rule_tokens
from bot.topic import topic_of

BOOK = load_rules()
DATA = Path(__file__).resolve().parents[1] / "data"


def _scan_everything(topic: str, book: RuleBook) -> list[TriggerHit]:
    """match_rules as it was before the index: every trigger of every rule tried."""
    seq = rule_tokens(unquote(topic))
    folded = fold(topic)
    hits = []
    for rule in book.rules:
        best_strength, where = 0.0, -1
        for i, trig in enumerate(rule.triggers):
            ok, contiguous = _match(seq, trig)
            strength = len(trig) + (0.5 if contiguous and len(trig) > 1 else 0.0)
            if ok and strength > best_strength:
                best_strength, where = strength, i
        best = TriggerHit(rule, rule.trigger_texts[where], best_strength) if where >= 0 else None
        for rx in rule.patterns:
            if rx.search(folded) and (best is None or best.strength < 3.0):
                best = TriggerHit(rule, rx.pattern, 3.0)
        if best:
            hits.append(best)
    hits.sort(key=lambda h: h.key, reverse=True)
    return hits


def _topics() -> list[str]:
    texts = [t for item in (*BOOK.rules, *BOOK.outside) for t in (*item.trigger_texts, *item.examples)]
    for name in ("dev", "realistic", "trial", "paraphrases"):
        texts += [json.loads(line)["q"] for line in (DATA / f"{name}.jsonl").read_text().splitlines() if line.strip()]
    return [topic_of(t) for t in texts]


def test_the_first_word_index_finds_exactly_what_scanning_every_trigger_finds() -> None:
    topics = _topics()
    assert len(topics) > 2000
    fired = 0
    for topic in topics:
        want = _scan_everything(topic, BOOK)
        assert match_rules(topic, BOOK) == want, topic
        fired += bool(want)
    assert fired > len(topics) // 2  # the comparison is not between empty lists


def test_every_trigger_is_in_the_index_under_its_first_word() -> None:
    entries = {(i, j) for at in BOOK.trigger_starts.values() for i, j, _ in at}
    items = (*BOOK.rules, *BOOK.outside)
    assert entries == {(i, j) for i, item in enumerate(items) for j in range(len(item.triggers))}
    for word, at in BOOK.trigger_starts.items():
        assert all(items[i].triggers[j][0] == word for i, j, _ in at)
        assert all(others == frozenset(items[i].triggers[j][1:]) for i, j, others in at)


def _match_by_scanning(seq: list[str], trig: tuple[str, ...], gap: int = 3) -> tuple[bool, bool]:
    """`_match` without its shortcuts: every start, every word of the span looked at."""
    best = (False, False)
    for start in range(len(seq)):
        if seq[start] != trig[0]:
            continue
        i, pos = 1, start
        for j in range(start + 1, min(len(seq), start + len(trig) + gap)):
            if i < len(trig) and seq[j] == trig[i]:
                i, pos = i + 1, j
        if i == len(trig):
            if pos - start + 1 == len(trig):
                return True, True
            best = (True, False)
    return best


def test_matching_a_trigger_gives_what_scanning_every_start_gives() -> None:
    triggers = {t for item in (*BOOK.rules, *BOOK.outside) for t in item.triggers}
    seen = set()
    for topic in _topics()[::7]:
        seq = rule_tokens(unquote(topic))
        for trig in triggers:
            if trig[0] in seq:
                got = _match(seq, trig)
                assert got == _match_by_scanning(seq, trig), (topic, trig)
                seen.add((len(trig) == 1, got))
    assert {(True, (True, True)), (False, (True, True)), (False, (True, False)), (False, (False, False))} <= seen
