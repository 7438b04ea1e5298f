"""The organisation's own documents (front matter `authority: org`) outrank the general articles.

At start, every sentence of an org document that says which role decides something (bot.role_statement) is
kept with a vector of what it decides ("At ACME the Product Owner sets the price" → "the price"). A question
whose decision is close enough to one of them (cosine ≥ MATCH_COSINE) is answered as that sentence says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.chunking import Chunk
from bot.corpus import ORG
from bot.embedding import Encoder
from bot.index import Index
from bot.results import ROLE_NAMES, Answer, OrgRuling, Owner, Passage
from bot.role_statement import RoleStatement, role_statements
from bot.router import question_text
from bot.textutil import tokens

# The question's topic vector against a statement's decision vector (both names-masked, as the router reads
# them). Measured with the shipped model on tests/data/org_matches.jsonl (`python -m bot.org_calibrate`): a
# sentence decides at cosine ≥ 0.60, or at ≥ 0.35 when every word of its decision is in the question ("the
# price" in "the price of the enterprise tier", cosine 0.40). Precision 0.963, recall 0.788 there; on the
# set not tuned on (org_matches_check.jsonl) precision 1.000, recall 0.750 (README).
MATCH_COSINE = 0.60
LEXICAL_COSINE = 0.35
ORG_CONFIDENCE = 0.9  # the organisation wrote it down: high, though the match itself is by meaning
TOP_PASSAGES = 5  # as many as an answer of the rules (bot.answer.TOP_K)


@dataclass(frozen=True)
class OrgStatement:
    statement: RoleStatement
    chunk: Chunk
    text: str  # what was embedded: the decision, with the section heading when the sentence alone is thin

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(tokens(self.text, drop_frame=True))


def decision_text(statement: RoleStatement, section: str = "") -> str:
    """What a statement decides, as a question's topic would say it."""
    decision = statement.decision
    if len(tokens(decision, drop_frame=True)) < 1:
        decision = f"{section} {decision}".strip() or statement.sentence
    return decision


def pick(scores: np.ndarray, stems: Sequence[frozenset[str]], question: frozenset[str]) -> int | None:
    """The best-scoring statement that matches: close in meaning, or a little close with all its words asked."""
    ok = [
        i
        for i, score in enumerate(scores)
        if score >= MATCH_COSINE or (score >= LEXICAL_COSINE and stems[i] and stems[i] <= question)
    ]
    return max(ok, key=lambda i: float(scores[i])) if ok else None


class OrgDocuments:
    """The role statements of the org documents of one index, and their vectors. Thread-safe after construction."""

    def __init__(self, statements: Sequence[OrgStatement], vectors: np.ndarray) -> None:
        self.statements = tuple(statements)
        self.vectors = vectors

    @classmethod
    def of_index(cls, index: Index, encoder: Encoder, known: frozenset[str]) -> OrgDocuments:
        found: list[OrgStatement] = []
        for doc in index.manifest.org_docs:  # listed at build time: no scan of the corpus at start
            for chunk in index.chunks.of_doc(doc):
                for st in role_statements(chunk.text):
                    found.append(OrgStatement(st, chunk, decision_text(st, chunk.section)))
        if not found:
            return cls((), np.zeros((0, 1), dtype=np.float32))
        vectors = np.asarray(encoder.encode([question_text(s.text, known) for s in found]), dtype=np.float32)
        return cls(found, vectors)

    def __len__(self) -> int:
        return len(self.statements)

    def best(self, vec: np.ndarray, topic: str) -> tuple[OrgStatement, float] | None:
        """The statement that matches the question's decision best, and its cosine; None when none matches."""
        if not self.statements:
            return None
        scores = self.vectors @ np.asarray(vec, dtype=np.float32)
        i = pick(scores, [s.stems for s in self.statements], frozenset(tokens(topic, drop_frame=True)))
        return None if i is None else (self.statements[i], float(scores[i]))

    def ruling(self, vec: np.ndarray, topic: str, articles: str | None) -> tuple[OrgRuling, int] | None:
        """The org's ruling on the question (and the chunk it is in), when one of its statements matches."""
        found = self.best(vec, topic)
        if found is None:
            return None
        st, score = found
        role = st.statement.role
        assert role is not None  # role_statements keeps only statements that name a decider
        ruling = OrgRuling(
            owner=role,
            quote=st.statement.sentence,
            doc=st.chunk.doc_id,
            title=st.chunk.title,
            source=st.chunk.source,
            score=score,
            articles=articles,
        )
        return ruling, st.chunk.chunk_id


ORG_PASSAGE_SCORE = 3.0  # above any rule-cited passage (at most 2.05, see Answerer._passages): it leads


def _role_name(owner: str) -> str:
    return ROLE_NAMES.get(owner, owner)


def _consulted(consulted: tuple[str, ...], ruling: OrgRuling) -> tuple[str, ...]:
    """Who the articles would have consulted, with the two roles swapped when the org gives it to the other."""
    deciders = {"Product Owner", "Product Manager"} if ruling.owner == Owner.SHARED else {_role_name(ruling.owner)}
    out = [c for c in consulted if c not in deciders]
    if ruling.articles_differ and ruling.articles in (Owner.PO, Owner.PM, Owner.TEAM):
        displaced = _role_name(ruling.articles or "")
        if displaced not in out and displaced not in deciders:
            out.insert(0, displaced)
    return tuple(out)


def _decides(owner: str) -> str:
    if owner == Owner.SHARED:
        return "the Product Owner and the Product Manager decide together"
    return f"the {_role_name(owner)} decides"


def overrule(answer: Answer, ruling: OrgRuling, passage: Passage, notes: Sequence[str] = ()) -> Answer:
    """The answer the rules gave, decided instead by the org's sentence: it leads the passages, its role is
    the recommendation and the rationale, and a note says where the general articles differ. The articles'
    passages and matched rules stay, as background (`notes`: the message's own notes, kept)."""
    lead = replace(passage, score=ORG_PASSAGE_SCORE, authority=ORG)
    others = tuple(p for p in answer.passages if p.chunk_id != passage.chunk_id)
    said: list[str] = []
    if ruling.articles_differ and ruling.articles:
        area = next((r.area for r in answer.rules if r.owner == ruling.articles), "")
        about = f" ({area.lower()})" if area else ""
        said.append(f"The general articles differ: by them{about}, {_decides(ruling.articles)}.")
    elif ruling.articles:
        said.append("The general articles agree.")
    return replace(
        answer,
        recommendation=Owner(ruling.owner),
        confidence=ORG_CONFIDENCE,
        consulted=_consulted(answer.consulted, ruling),
        rationale=f"{ruling.title}, your organisation's own document, gives this decision to the "
        f"{_role_name(ruling.owner)}: “{ruling.quote}”",
        passages=(lead, *others)[:TOP_PASSAGES],
        notes=(*said, *notes),
        hint=None,
        authority=ruling,
    )


def set_aside_conflicts(answer: Answer) -> Answer:
    """An org passage retrieved for an answer it did not decide, giving its decision to another role, is not
    shown as a source for that answer: it becomes a note that names the role and quotes the sentence (it may
    be about this very decision, worded too differently to match)."""
    if answer.recommendation == Owner.UNKNOWN:
        return answer
    kept: list[Passage] = []
    notes: list[str] = []
    for p in answer.passages:
        other = None
        if p.authority == ORG:
            other = next((s for s in role_statements(p.text) if s.role != answer.recommendation), None)
        if other is None or other.role is None:
            kept.append(p)
            continue
        notes.append(
            f"{p.title}, your organisation's own document, gives a related decision to the "
            f"{_role_name(other.role)}: “{other.sentence}” If that is the decision you mean, it decides."
        )
    if not notes:
        return answer
    return replace(answer, passages=tuple(kept), notes=(*notes[:1], *answer.notes))


__all__ = [
    "MATCH_COSINE",
    "ORG_CONFIDENCE",
    "OrgDocuments",
    "OrgStatement",
    "decision_text",
    "overrule",
    "set_aside_conflicts",
]
