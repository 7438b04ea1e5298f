"""Does a question ask about the decision an agreement settled?

Yes when the engine puts both in the same decision area (the first rule it matches for "who decides
<agreement>?" and for the question), or when their decision vectors (the MiniLM vectors the engine reads a
question's topic by) are close. SAME_DECISION_COSINE was measured with `python -m bot.agreements.calibrate`
on tests/data/agreement_pairs.jsonl (README, "Team agreements").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.agreements.store import Agreement
from bot.results import Answer, Owner

SAME_DECISION_COSINE = 0.70
CACHE_SIZE = 2048


@dataclass(frozen=True)
class Match:
    agreement: Agreement
    how: str  # "area" | "meaning"
    cosine: float


class DecisionMatcher:
    """Reads decisions with the engine it is given; an answerer without `decision_vector` matches by area."""

    def __init__(self, answerer: Any, threshold: float = SAME_DECISION_COSINE) -> None:
        """`answerer`: the engine, or a function returning it (so `agreements list` never loads the model)."""
        self._engine = answerer
        self.threshold = threshold
        self._areas: OrderedDict[str, str | None] = OrderedDict()
        self._vectors: OrderedDict[str, np.ndarray | None] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def answerer(self) -> Any:
        return self._engine() if callable(self._engine) and not hasattr(self._engine, "answer") else self._engine

    # ------------------------------------------------------------------ reading a decision
    def area_of_answer(self, answer: Answer) -> str | None:
        if answer.recommendation == Owner.UNKNOWN or not answer.rules:
            return None
        return answer.rules[0].id

    def area(self, decision: str) -> str | None:
        """The engine's decision area for an agreement's text (cached: agreements are few and reread often)."""
        key = decision.lower()
        with self._lock:
            if key in self._areas:
                return self._areas[key]
        try:
            found = self.area_of_answer(self.answerer.answer(f"Who decides {decision}?"))
        except Exception:  # noqa: BLE001 - a decision the engine cannot read still matches by meaning
            found = None
        return self._keep(self._areas, key, found)

    def vector(self, text: str) -> np.ndarray | None:
        read = getattr(self.answerer, "decision_vector", None)
        if read is None:
            return None
        key = text.lower()
        with self._lock:
            if key in self._vectors:
                return self._vectors[key]
        vec = np.asarray(read(text), dtype=np.float32)
        norm = float(np.linalg.norm(vec)) or 1.0
        return self._keep(self._vectors, key, vec / norm)

    def _keep(self, cache: OrderedDict[str, Any], key: str, value: Any) -> Any:
        with self._lock:
            cache[key] = value
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        return value

    def cosine(self, a: str, b: str) -> float:
        va, vb = self.vector(a), self.vector(b)
        return float(va @ vb) if va is not None and vb is not None else 0.0

    # ------------------------------------------------------------------ matching
    def best(self, question: str, answer: Answer, candidates: Sequence[Agreement]) -> Match | None:
        """The agreement the question asks about, if any: by area first, then the closest by meaning;
        between equals, the most recent."""
        if not candidates:
            return None
        area = self.area_of_answer(answer)
        best: Match | None = None
        for agreement in candidates:
            cos = self.cosine(question, agreement.decision)
            same_area = area is not None and self.area(agreement.decision) == area
            if not same_area and cos < self.threshold:
                continue
            found = Match(agreement, "area" if same_area else "meaning", cos)
            if best is None or _rank(found) >= _rank(best):
                best = found
        return best


def _rank(match: Match) -> tuple[float, float]:
    return (match.cosine, match.agreement.recorded_at.timestamp())
