"""Answerer.answer(question) -> Answer: the one use case every adapter calls."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.decide import Evidence, Recommendation, decide
from bot.embedding import Encoder, SentenceTransformerEncoder, resolve_model
from bot.errors import UsageError
from bot.index import Index, ensure_index
from bot.results import EXAMPLE_QUESTIONS, Answer, Passage
from bot.retrieval import Hit, Retriever
from bot.rules import RuleBook, load_rules
from bot.semantic import RuleVectors
from bot.settings import Settings
from bot.textutil import FRAME_WORDS, STOPWORDS, fold, stem, tokens, words
from bot.topic import topic_of

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500  # longer input is answered on its first part, with a note
TOP_K = 5  # passages returned
ON_TOPIC_COSINE = 0.40  # below this, with no rule firing, the question is not about these roles
ENGLISH_SHARE = 0.5

USAGE = "Ask me who should decide something, the Product Owner or the Product Manager. For example:\n" + "\n".join(
    f"• {q}" for q in EXAMPLE_QUESTIONS
)
HINT = (
    "I answer who decides product questions (Product Owner, Product Manager or the Development Team): "
    "pricing, roadmap, backlog order, user stories, technical choices and the like. Try: "
    f"“{EXAMPLE_QUESTIONS[0]}” or “{EXAMPLE_QUESTIONS[1]}”"
)

NO_DECISION_HINT = (
    "Tell me which decision you mean, for example: "
    f"“{EXAMPLE_QUESTIONS[0]}” or “{EXAMPLE_QUESTIONS[2]}”"
)
_ROLE_STEMS = frozenset(tokens("product owner manager development team vs versus"))


class AnswererLike(Protocol):
    def answer(self, question: str) -> Answer: ...


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


def truncate(question: str, limit: int = MAX_QUESTION_CHARS) -> tuple[str, bool]:
    """The first part of a long question, cut at a sentence or word boundary."""
    q = " ".join(question.split())
    if len(q) <= limit:
        return q, False
    head = q[:limit]
    cut = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    if cut > limit // 3:
        return head[: cut + 1], True
    space = head.rfind(" ")
    return (head[:space] if space > limit // 3 else head), True


class Answerer:
    """Topic → hybrid retrieval → rules + evidence → Answer. Thread-safe after construction."""

    def __init__(
        self, index: Index, encoder: Encoder, rules: RuleBook, rule_vectors: RuleVectors | None = None
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.rules = rules
        self.rule_vectors = rule_vectors
        self.retriever = Retriever(index, encoder)
        self._quote_chunks = self._map_quotes(index, rules)
        self._vocab = self._english_vocab(index, rules)
        # sentence-transformers is not re-entrant; the ONNX encoder is (tested), so answers encode in parallel.
        self._lock = contextlib.nullcontext() if getattr(encoder, "thread_safe", False) else threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, encoder: Encoder | None = None, progress: bool = False) -> Answerer:
        model = resolve_model(settings.model_path)
        rules = load_rules(settings.rules_path)
        # The index is built with sentence-transformers itself (the reference); questions go through the
        # index's ONNX export of the same model (no torch import).
        builder = encoder or SentenceTransformerEncoder(model)
        index = ensure_index(settings.corpus_dir, settings.index_dir, builder, model, progress=progress)
        query_encoder = encoder or index.query_encoder(precision=settings.query_precision)
        key = f"custom:{type(encoder).__name__}" if encoder else index.query_vectors_key(settings.query_precision)
        vectors = RuleVectors.load_or_build(settings.index_dir, rules, query_encoder, key)
        return cls(index, query_encoder, rules, vectors)

    # --- set-up helpers --------------------------------------------------------
    @staticmethod
    def _map_quotes(index: Index, rules: RuleBook) -> dict[tuple[str, str], list[int]]:
        """Which chunks hold each cited quote, so the answer can show the passages it rests on."""
        out: dict[tuple[str, str], list[int]] = {}
        normed: dict[str, list[tuple[str, int]]] = {}  # only the cited documents' chunks are read
        for r in (*rules.rules, *rules.modifiers):
            for cit in r.citations:
                if cit.doc not in normed:
                    normed[cit.doc] = [(_norm(c.text), c.chunk_id) for c in index.chunks.of_doc(cit.doc)]
                q = _norm(cit.quote)
                probe = q[:60]
                out[(cit.doc, cit.quote)] = [cid for text, cid in normed[cit.doc] if q in text or probe in text]
        return out

    @staticmethod
    def _english_vocab(index: Index, rules: RuleBook) -> frozenset[str]:
        vocab = set(index.stems)  # every stemmed word of the chunks, collected at build time
        for r in rules.rules:
            vocab.update(t for trig in r.triggers for t in trig)
        return frozenset(vocab)

    def looks_english(self, text: str) -> bool:
        ws = words(text)
        if not ws:
            return False
        known = sum(1 for w in ws if w in STOPWORDS or w in FRAME_WORDS or stem(w) in self._vocab)
        return known / len(ws) >= ENGLISH_SHARE

    # --- the use case ----------------------------------------------------------
    def answer(self, question: str) -> Answer:
        if not isinstance(question, str) or not question.strip():
            raise UsageError(USAGE)
        q, truncated = truncate(question)
        notes: list[str] = []
        if truncated:
            notes.append(f"Your message was long, so I answered its first {len(q)} characters.")
        if not re.search(r"[^\W\d_]", q) or not self.looks_english(q):
            return self._unknown(q, notes, (), hint="I only understand English questions. " + HINT)

        topic = topic_of(q)
        if not set(tokens(topic, drop_frame=True)) - _ROLE_STEMS:
            # "PO or PM?" names no decision: retrieval would only find passages about the roles themselves.
            return self._unknown(q, notes, (), hint=NO_DECISION_HINT)
        with self._lock:
            vec = self.encoder.encode([topic])[0]
        hits = self.retriever.search(topic, k=12, query_vec=np.asarray(vec, dtype=np.float32))
        on_topic = bool(hits) and max(h.dense for h in hits) >= ON_TOPIC_COSINE
        roles = tuple((self.index.chunks[h.chunk_id].role, h.score) for h in hits[:TOP_K])
        semantic = self.rule_vectors.best(vec) if self.rule_vectors is not None else ()
        rec = decide(q, topic, Evidence(roles, on_topic, semantic), self.rules)
        if rec is None or rec.owner == "UNKNOWN":
            passages = tuple(self._passages(hits, None)) if on_topic else ()
            if rec is None:
                return self._unknown(q, notes, passages, hint=HINT)
            return self._unknown(q, notes, passages, hint=rec.hint or HINT, rationale=rec.rationale)
        return Answer(
            question=q,
            recommendation=rec.owner,  # type: ignore[arg-type]
            confidence=round(rec.confidence, 3),
            consulted=rec.consulted,
            rationale=rec.rationale,
            rules=rec.rules,
            passages=tuple(self._passages(hits, rec)),
            notes=tuple(notes) + rec.notes,
        )

    def _unknown(
        self, q: str, notes: list[str], passages: tuple[Passage, ...], hint: str, rationale: str | None = None
    ) -> Answer:
        return Answer(
            question=q,
            recommendation="UNKNOWN",
            confidence=0.0,
            consulted=(),
            rationale=rationale or "No rule covers this and the sources do not say clearly, so I won't guess.",
            passages=passages,
            notes=tuple(notes),
            hint=hint,
        )

    def _passages(self, hits: list[Hit], rec: Recommendation | None) -> list[Passage]:
        """Best first: passages holding the deciding rules' citations, then the other retrieved ones.

        A cited passage scores 1 + its citation's weight (the first rule's first quote highest); any other
        passage scores its retrieval score normalised to [0, 1), so cited passages always lead.
        """
        top = max((h.score for h in hits), default=0.0) or 1.0
        scored: dict[int, float] = {h.chunk_id: 0.99 * h.score / top for h in hits}
        if rec:
            cited: dict[int, float] = {}
            # Interleave the rules' citations: each rule's first quote before any rule's third.
            for rank, rule in enumerate(rec.rules):
                for i, cit in enumerate(rule.citations):
                    for cid in self._quote_chunks.get((cit.doc, cit.quote), []):
                        cited[cid] = max(cited.get(cid, 0.0), 1.0 - 0.1 * (rank + i))
            for cid, weight in cited.items():
                scored[cid] = 1.0 + weight + 0.05 * scored.get(cid, 0.0)
        by_id = {h.chunk_id: h for h in hits}
        ranked = sorted(scored, key=lambda cid: scored[cid], reverse=True)[:TOP_K]
        return [
            self.retriever.passage(by_id.get(cid) or Hit(cid, 0.0, 0.0, 0.0), score=round(scored[cid], 4))
            for cid in ranked
        ]


def answerer_for(settings: Settings, **kwargs: object) -> Answerer:
    return Answerer.from_settings(settings, **kwargs)  # type: ignore[arg-type]


__all__ = ["Answerer", "AnswererLike", "USAGE", "HINT", "truncate", "answerer_for", "Path"]
