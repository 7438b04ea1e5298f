"""A deterministic stand-in for bot.answer.Answerer: same protocol, no model, instant.

Keyword → recommendation, so adapter tests know exactly what each question yields. It can block on a
gate (to prove acks return before the answer is ready), fail on purpose, or return a huge answer.
"""

from __future__ import annotations

import threading

from bot.errors import UsageError
from bot.results import Answer, Citation, Passage, RuleMatch

_PM_RULE = RuleMatch(
    id="pricing",
    area="Pricing and packaging",
    owner="PM",
    rationale="Pricing is a market decision, which the Product Manager owns.",
    citations=(
        Citation(
            doc="concise-software.md",
            quote="The Product Manager is responsible for pricing & <packaging>.",
            title="Concise Software: PO vs PM",
        ),
    ),
    consulted=("Product Owner", "Sales"),
)
_PO_RULE = RuleMatch(
    id="backlog-order",
    area="Product backlog ordering",
    owner="PO",
    rationale="The Product Owner orders the Product Backlog.",
    citations=(Citation(doc="glossary.md", quote="The Product Owner orders the backlog.", title="Scrum Glossary"),),
    consulted=("Development Team",),
)


def _passages(n: int = 4, length: int = 120) -> tuple[Passage, ...]:
    body = "The Product Manager owns the vision & <strategy> of the product; " * 40
    return tuple(
        Passage(
            text=f"Passage {i}: " + body[:length],
            title=f"Source <{i}> & co",
            source=f"source-{i}.md",
            section="Roles",
            score=1.0 - i / 10,
        )
        for i in range(n)
    )


class FakeAnswerer:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate  # when set, answer() waits for it: the test controls when the answer is ready
        self.calls: list[str] = []
        self.contexts: list[str] = []  # the context handed with each question ("" when none)
        self._lock = threading.Lock()

    def answer(self, question: str, context: str = "") -> Answer:
        with self._lock:
            self.calls.append(question)
            self.contexts.append(context)
        if self.gate is not None and not self.gate.wait(timeout=30):
            raise RuntimeError("FakeAnswerer gate never opened")
        if not question or not question.strip():
            raise UsageError("Ask me who decides something, e.g. /whodecides who prices the enterprise tier?")
        q = question.lower()
        if "boom" in q:
            raise RuntimeError("the fake answerer failed on purpose")
        if "huge" in q:
            return Answer(
                question=question,
                recommendation="PM",
                confidence=0.9,
                consulted=tuple(f"Stakeholder {i}" for i in range(200)),
                rationale="Because " + "the market matters. " * 2000,
                rules=tuple(_PM_RULE for _ in range(80)),
                passages=_passages(60, length=5000),
                notes=tuple("A long context note. " * 300 for _ in range(20)),
            )
        if "price" in q or "pricing" in q or "roadmap" in q:
            return Answer(
                question=question,
                recommendation="PM",
                confidence=0.86,
                consulted=("Product Owner", "Sales"),
                rationale="Pricing is a market decision, which the Product Manager owns.",
                rules=(_PM_RULE,),
                passages=_passages(4),
            )
        if "backlog" in q:
            return Answer(
                question=question,
                recommendation="PO",
                confidence=0.62,
                consulted=("Development Team",),
                rationale="The Product Owner orders the Product Backlog.",
                rules=(_PO_RULE,),
                passages=_passages(3),
            )
        if "startup" in q or "small company" in q:
            return Answer(
                question=question,
                recommendation="SHARED",
                confidence=0.7,
                consulted=("Founders",),
                rationale="In a small company one person often holds both roles.",
                rules=(),
                passages=_passages(3),
                notes=("Small company: one person may hold both roles.",),
            )
        if "language" in q:
            return Answer(
                question=question,
                recommendation="TEAM",
                confidence=0.8,
                consulted=("Product Owner",),
                rationale="How to build it is the Development Team's call.",
                passages=_passages(3),
            )
        return Answer(
            question=question,
            recommendation="UNKNOWN",
            confidence=0.1,
            consulted=(),
            rationale="No rule matched and the evidence is weak.",
            hint="I answer who decides product questions: pricing, backlog, roadmap, releases.",
        )
