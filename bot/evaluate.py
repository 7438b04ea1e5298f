"""`whodecides eval`: accuracy, confusion matrix, evidence recall@3, accuracy by kind and by confidence band,
"not sure" precision and recall, and the misses on a labelled set."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer import Answerer
from bot.errors import WhodecidesError
from bot.retrieval import MODES, Retriever
from bot.topic import topic_of

LABELS = ("PO", "PM", "SHARED", "TEAM", "UNKNOWN")
BANDS = ("high", "medium", "low", "not sure")
HALVES = ("tune", "check")


def half_of(question: str) -> str:
    """A deterministic split of a labelled set: tune on one half, report the other untouched."""
    return HALVES[hashlib.sha256(question.encode("utf-8")).digest()[0] % 2]


@dataclass
class EvalReport:
    n: int = 0
    correct: int = 0
    evidence_n: int = 0
    evidence_hits: int = 0
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    retrieval: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind → [right, asked]
    by_band: dict[str, list[int]] = field(default_factory=dict)  # confidence band → [right, answered]

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def recall(self) -> float:
        return self.evidence_hits / self.evidence_n if self.evidence_n else 0.0

    def _count(self, expect: str, got: str) -> int:
        return self.confusion.get((expect, got), 0)

    @property
    def not_sure_precision(self) -> float:
        """Of the "not sure" answers, the share whose question really was outside what can be answered."""
        said = sum(self._count(e, "UNKNOWN") for e in LABELS)
        return self._count("UNKNOWN", "UNKNOWN") / said if said else 1.0

    @property
    def not_sure_recall(self) -> float:
        """Of the questions labelled UNKNOWN, the share answered "not sure"."""
        total = sum(self._count("UNKNOWN", g) for g in LABELS)
        return self._count("UNKNOWN", "UNKNOWN") / total if total else 1.0

    @property
    def not_sure_on_answerable(self) -> float:
        """The share of answerable questions that got "not sure" (the issue's ceiling: 5%)."""
        answerable = sum(self._count(e, g) for e in LABELS if e != "UNKNOWN" for g in LABELS)
        wrongly = sum(self._count(e, "UNKNOWN") for e in LABELS if e != "UNKNOWN")
        return wrongly / answerable if answerable else 0.0

    def band_accuracy(self, band: str) -> float:
        right, n = self.by_band.get(band, [0, 0])
        return right / n if n else 1.0


def read_cases(path: Path) -> list[dict]:
    cases = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise WhodecidesError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["q"], row["expect"]
        except (ValueError, KeyError, TypeError) as exc:
            raise WhodecidesError(f"{path}:{n}: expected a JSON object with `q` and `expect`.") from exc
        cases.append(row)
    if not cases:
        raise WhodecidesError(f"{path} has no questions.")
    return cases


def _has_evidence(texts: list[str], phrases: list[str]) -> bool:
    joined = " ".join(" ".join(t.split()) for t in texts).lower()
    return any(" ".join(p.split()).lower() in joined for p in phrases)


def evaluate(answerer: Answerer, cases: list[dict], *, retrieval_modes: bool = False) -> EvalReport:
    rep = EvalReport()
    for row in cases:
        ans = answerer.answer(row["q"])
        rep.n += 1
        expect = str(row["expect"]).upper()
        rep.confusion[(expect, ans.recommendation)] = rep.confusion.get((expect, ans.recommendation), 0) + 1
        ok = ans.recommendation == expect
        rep.correct += ok
        band = "not sure" if ans.recommendation == "UNKNOWN" else ans.confidence_label
        for table, key in ((rep.by_kind, str(row.get("kind") or "")), (rep.by_band, band)):
            if key:
                cell = table.setdefault(key, [0, 0])
                cell[0] += ok
                cell[1] += 1
        ev = row.get("evidence") or []
        ev_ok = True
        if ev:
            rep.evidence_n += 1
            ev_ok = _has_evidence([p.text for p in ans.passages[:3]], ev)
            rep.evidence_hits += ev_ok
        if not ok or not ev_ok:
            why = [] if ok else [f"expected {expect}, got {ans.recommendation}"]
            if not ev_ok:
                why.append("evidence not in top 3")
            rep.misses.append(f"{row['q']}  ({'; '.join(why)})")
    if retrieval_modes:
        for mode in MODES:
            r = Retriever(answerer.index, answerer.encoder, mode)
            hits = n = 0
            for row in cases:
                if not row.get("evidence"):
                    continue
                n += 1
                top = r.search(topic_of(row["q"]), 3)
                hits += _has_evidence([answerer.index.chunks[h.chunk_id].text for h in top], row["evidence"])
            rep.retrieval[mode] = hits / n if n else 0.0
    return rep


def format_report(rep: EvalReport) -> str:
    out = [
        f"questions: {rep.n}",
        f"accuracy: {rep.accuracy:.3f} ({rep.correct}/{rep.n})",
        f"evidence recall@3: {rep.recall:.3f} ({rep.evidence_hits}/{rep.evidence_n})",
        "",
        "confusion matrix (rows: expected, columns: answered)",
        "         " + "".join(f"{label:>9}" for label in LABELS),
    ]
    for exp in LABELS:
        out.append(f"{exp:>9}" + "".join(f"{rep.confusion.get((exp, got), 0):>9}" for got in LABELS))
    out += ["", "accuracy by confidence band:"]
    out += [f"  {b:>9}: {rep.by_band[b][0]}/{rep.by_band[b][1]}" for b in BANDS if b in rep.by_band]
    out.append(
        f"not sure: precision {rep.not_sure_precision:.3f}, recall {rep.not_sure_recall:.3f}, "
        f"given to {rep.not_sure_on_answerable:.1%} of answerable questions"
    )
    if rep.by_kind:
        out += ["", "accuracy by kind:"]
        out += [f"  {k:>9}: {v[0]}/{v[1]}" for k, v in sorted(rep.by_kind.items())]
    if rep.retrieval:
        out += ["", "retrieval alone, evidence recall@3 (no rule citations):"]
        out += [f"  {mode:>8}: {score:.3f}" for mode, score in rep.retrieval.items()]
    out += ["", f"misses: {len(rep.misses)}"] + [f"  - {m}" for m in rep.misses]
    return "\n".join(out)
