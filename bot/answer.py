"""Answerer.answer(question) -> Answer: the one use case every adapter calls."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from dataclasses import dataclass

import numpy as np

from bot.authority import OrgDocuments, overrule, set_aside_conflicts
from bot.background import mentioned_above, with_background
from bot.citations import check_citations
from bot.decide import Evidence, Recommendation, decide
from bot.embedding import Encoder, SentenceTransformerEncoder, resolve_model
from bot.errors import UsageError
from bot.index import Index, ensure_index
from bot.message import is_vague, names_little, read_message
from bot.results import EXAMPLE_QUESTIONS, Answer, Owner, Passage, RuleMatch
from bot.retrieval import Hit, Retriever
from bot.router import Router, question_text
from bot.rules import RuleBook, load_rules
from bot.settings import Settings
from bot.texts import USAGE
from bot.textutil import FRAME_WORDS, STOPWORDS, fold, stem, tokens, words
from bot.topic import topic_of
from bot.typos import Speller
from bot.vocabularies import Vocabularies
from bot.vocabularies import derive as derive_vocabularies
from bot.vocabularies import load_or_derive as load_vocabularies

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500  # an ask longer than this is read from its end, where the question is
MAX_MESSAGE_CHARS = 40_000  # Slack's own cap on a message; anything longer keeps its end
TOP_K = 5  # passages returned
RULE_STEP = 0.1  # each later rule's citations rank this much lower
# A rule's first quote defines it and leads; its other quotes rank below it by how well their passage was retrieved
# for this question (they used to follow the rules file's order): +2 evidence hits on the tuning halves, +2 on the
# check halves, none lost.
LATER_QUOTE = 0.1
MODIFIER_STEP = 0.25  # ... after a modifier (company size, no Scrum): its first three citations lead
ON_TOPIC_COSINE = 0.40  # below this, with no rule firing, the question is not about these roles
ENGLISH_SHARE = 0.5
MAX_STORY_READINGS = 6  # a vague ask is read with at most this many sentences of the story (encoded together)
AFTER_READINGS = 2  # ... and with at most this many of the sentences after it (a question asked first)

HINT = (
    "I answer who decides product questions (Product Owner, Product Manager or the Development Team): "
    "pricing, roadmap, backlog order, user stories, technical choices and the like. Try: "
    f"“{EXAMPLE_QUESTIONS[0]}” or “{EXAMPLE_QUESTIONS[1]}”"
)

NO_DECISION_HINT = f"Tell me which decision you mean, for example: “{EXAMPLE_QUESTIONS[0]}” or “{EXAMPLE_QUESTIONS[2]}”"
_ROLE_STEMS = frozenset(tokens("product owner manager development team vs versus"))


@dataclass(frozen=True)
class Reading:
    context: str  # the whole message, typos repaired: the modifiers read it
    topic: str  # what the ask is about
    vec: np.ndarray
    hits: list[Hit]
    evidence: Evidence


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


def truncate(question: str, limit: int = MAX_QUESTION_CHARS) -> tuple[str, bool]:
    """The last part of a long text, cut at a sentence or word boundary: people ask last."""
    q = " ".join(question.split())
    if len(q) <= limit:
        return q, False
    tail = q[-limit:]
    cut = max(tail.find(". "), tail.find("? "), tail.find("! "))
    if 0 <= cut < limit * 2 // 3:
        return tail[cut + 2 :], True
    space = tail.find(" ")
    return (tail[space + 1 :] if 0 <= space < limit * 2 // 3 else tail), True


class Answerer:
    """Topic → hybrid retrieval → rules + evidence → Answer. Thread-safe after construction."""

    def __init__(
        self,
        index: Index,
        encoder: Encoder,
        rules: RuleBook,
        router: Router | None = None,
        speller: Speller | None = None,
        vocabularies: Vocabularies | None = None,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.rules = rules
        self.router = router
        self.retriever = Retriever(index, encoder)
        check_citations(rules, index.chunks.of_doc)  # a rules file quoting what the corpus lacks is refused
        self._quote_chunks = self._map_quotes(index, rules)
        self._modifier_ids = frozenset(m.id for m in rules.modifiers)
        vocab = vocabularies or derive_vocabularies(index, rules, None)
        self._vocab = vocab.english
        # Technical terms are known words too: "retry" is not a typo of "retro", nor "shard" of "shared".
        self.speller = speller or Speller(vocab.domain, vocab.wordpiece | vocab.known)
        self.known_words = vocab.known
        self.org = OrgDocuments.of_index(index, encoder, self.known_words)  # `authority: org` documents
        # sentence-transformers is not re-entrant; the ONNX encoder is (tested), so answers encode in parallel.
        self._lock = contextlib.nullcontext() if getattr(encoder, "thread_safe", False) else threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, encoder: Encoder | None = None, progress: bool = False, one_shot: bool = False
    ) -> Answerer:
        """`one_shot`: the process answers one question and exits (`whodecides ask "…"`): a faster start."""
        model = resolve_model(settings.model_path)
        rules = load_rules(settings.rules_path)
        # The index is built with sentence-transformers itself (the reference); questions go through the
        # index's ONNX export of the same model (no torch import).
        builder = encoder or SentenceTransformerEncoder(model)
        index = ensure_index(settings.corpus_dir, settings.index_dir, builder, model, progress=progress)
        query_encoder = encoder or index.query_encoder(one_shot=one_shot)
        fingerprint = index.manifest.model_fingerprint if encoder is None else f"custom:{type(encoder).__name__}"
        router = Router.load_or_build(settings.index_dir, rules, query_encoder, fingerprint)
        vocab = load_vocabularies(settings.index_dir, index, rules, model)  # cached: derived they cost ~80 ms
        return cls(index, query_encoder, rules, router, vocabularies=vocab)

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

    def looks_english(self, text: str) -> bool:
        ws = words(text)
        if not ws:
            return False
        known = sum(1 for w in ws if w in STOPWORDS or w in FRAME_WORDS or stem(w) in self._vocab)
        return known / len(ws) >= ENGLISH_SHARE

    # --- the use case ----------------------------------------------------------
    def read(self, ask: str, context: str) -> Reading:
        """What the engine reads from a message: the ask's topic, its vector, retrieval and the router."""
        return self.readings([ask], context)[0]

    def readings(self, asks: list[str], context: str) -> list[Reading]:
        """`read` of several wordings of one ask, their vectors encoded together in one run of the model."""
        context, _ = self.speller.correct(context)
        asks = [self.speller.correct(ask)[0] for ask in asks]
        with self._lock:
            vecs = np.asarray(self.encoder.encode([question_text(a, self.known_words) for a in asks]), np.float32)
        out = []
        for ask, vec in zip(asks, vecs, strict=True):
            topic = topic_of(ask)
            hits = self.retriever.search(topic, k=12, query_vec=vec)
            out.append(Reading(context, topic, vec, hits, self.evidence(vec, hits)))
        return out

    def decision_vector(self, text: str) -> np.ndarray:
        """The vector the engine reads a decision by (its topic, names masked): team memory compares an
        agreement's decision with a question's by it."""
        with self._lock:
            return np.asarray(self.encoder.encode([question_text(text, self.known_words)])[0], dtype=np.float32)

    def answer(self, question: str, context: str = "") -> Answer:
        """`context`: what was said before (a thread's earlier messages). Only the modifiers read it."""
        if not isinstance(question, str) or not question.strip():
            raise UsageError(USAGE)
        text, cut = truncate(question, MAX_MESSAGE_CHARS)
        msg = read_message(text)
        ask, ask_cut = truncate(msg.ask)
        shown = ask if cut or len(msg.text) > MAX_QUESTION_CHARS else msg.text
        notes: list[str] = []
        if ask_cut:
            notes.append(f"Your message was long, so I answered its last {len(ask)} characters, where the question is.")
        elif shown != msg.text:
            notes.append("Your message was long, so I answered the question in it; the rest was read as context.")
        if not re.search(r"[^\W\d_]", ask) or not self.looks_english(ask):
            return self._unknown(shown, notes, (), hint="I only understand English questions. " + HINT)
        if not set(tokens(topic_of(ask), drop_frame=True)) - _ROLE_STEMS:
            # "PO or PM?" names no decision: retrieval would only find passages about the roles themselves.
            return self._unknown(shown, notes, (), hint=NO_DECISION_HINT)
        whole = with_background(msg.text, context)  # a thread's earlier messages: context for the modifiers
        # A vague ask leans on the story ("whose call is the tech?", "who should it be?"): read it with each of the
        # sentences before it too, and keep the reading the router is surest of. On the tuning halves this got
        # 1 (trial) and 3 (trial2) more right than reading it with the sentence right before only. An ask that
        # names almost nothing is also read with the sentences after it ("is this a PM thing? Budget review is…").
        after = msg.after[:AFTER_READINGS] if names_little(ask) else ()
        story = (*msg.story[-MAX_STORY_READINGS:], *after) if is_vague(ask) else ()
        r, *wider = self.readings([ask, *(f"{sentence} {ask}" for sentence in story)], whole)
        for w in wider:
            if self._top(w) > self._top(r):
                r = w
        rec = decide(r.context, r.topic, r.evidence, self.rules)
        if context and (above := mentioned_above(msg.text, context, rec, self.rules)):
            notes.append(above)
        return self._org_first(self._by_rules(shown, notes, r, rec), r, notes)

    def _by_rules(self, shown: str, notes: list[str], r: Reading, rec: Recommendation | None) -> Answer:
        if rec is None or rec.owner == Owner.UNKNOWN:
            passages = tuple(self._passages(r.hits, None)) if r.evidence.on_topic else ()
            if rec is None:
                return self._unknown(shown, notes, passages, hint=HINT)
            return self._unknown(shown, notes, passages, hint=rec.hint or HINT, rationale=rec.rationale)
        return Answer(
            question=shown,
            recommendation=rec.owner,
            confidence=round(rec.confidence, 3),
            consulted=rec.consulted,
            rationale=rec.rationale,
            rules=rec.rules,
            passages=tuple(self._passages(r.hits, rec)),
            notes=tuple(notes) + rec.notes,
        )

    def _org_first(self, ans: Answer, r: Reading, notes: list[str]) -> Answer:
        """The organisation's own documents outrank the rules' answer when one of their sentences matches."""
        articles = None if ans.recommendation == Owner.UNKNOWN else str(ans.recommendation)
        found = self.org.ruling(r.vec, r.topic, articles)
        if found is None:
            return set_aside_conflicts(ans)
        ruling, chunk_id = found
        return overrule(ans, ruling, self.retriever.passage(Hit(chunk_id, 0.0, 0.0, 0.0)), notes)

    @staticmethod
    def _top(r: Reading) -> float:
        return max(r.evidence.probabilities.values(), default=0.0)

    def evidence(self, vec: np.ndarray, hits: list[Hit]) -> Evidence:
        on_topic = bool(hits) and max(h.dense for h in hits) >= ON_TOPIC_COSINE
        roles = tuple((self.index.chunks[h.chunk_id].role, h.score) for h in hits[:TOP_K])
        if self.router is None:
            return Evidence(roles, on_topic)
        probs = self.router.probabilities(vec)
        return Evidence(roles, on_topic, self.router.route(vec, probs=probs), probs)

    def _unknown(
        self, q: str, notes: list[str], passages: tuple[Passage, ...], hint: str, rationale: str | None = None
    ) -> Answer:
        return Answer(
            question=q,
            recommendation=Owner.UNKNOWN,
            confidence=0.0,
            consulted=(),
            rationale=rationale or "No rule covers this and the sources do not say clearly, so I won't guess.",
            passages=passages,
            notes=tuple(notes),
            hint=hint,
        )

    def _second_area_shown(self, ranked: list[int], scored: dict[int, float], rule: RuleMatch) -> list[int]:
        """The second deciding area's first quote is among the top three: the first area's later quotes may take
        one slot before it, not all of them ("she asked Jonas to order the backlog while she's away": the
        backlog's list items must not push out "the PO remains accountable")."""
        cit = rule.citations[0] if rule.citations else None
        cids = self._quote_chunks.get((cit.doc, cit.quote), []) if cit else []
        if not cids or any(c in ranked[:3] for c in cids):
            return ranked
        cid = max(cids, key=lambda c: scored.get(c, 0.0))  # the chunk that stands for the quote (see above)
        rest = [c for c in ranked if c != cid]
        return (rest[:2] + [cid] + rest[2:])[:TOP_K]

    def _passages(self, hits: list[Hit], rec: Recommendation | None) -> list[Passage]:
        """Best first: passages holding the deciding rules' citations, then the other retrieved ones.

        A cited passage scores 1 + its citation's weight (the first rule's first quote highest); any other
        passage scores its retrieval score normalised to [0, 1), so cited passages always lead.
        """
        top = max((h.score for h in hits), default=0.0) or 1.0
        scored: dict[int, float] = {h.chunk_id: 0.99 * h.score / top for h in hits}
        if rec:
            cited: dict[int, float] = {}
            # A rule's first quote leads; its later quotes and the next rule's first quote follow by how well their
            # passages were retrieved for this question (`_second_area_shown` keeps that first quote in the top
            # three). When the context decided (a modifier leads), its sources come first.
            step = MODIFIER_STEP if rec.rules and rec.rules[0].id in self._modifier_ids else RULE_STEP
            for rank, rule in enumerate(rec.rules):
                for i, cit in enumerate(rule.citations):
                    # A quote held by several chunks (a list heading each list chunk repeats) is one citation:
                    # its best-retrieved chunk stands for it, so it cannot push the other rules' citations out.
                    cids = self._quote_chunks.get((cit.doc, cit.quote), [])
                    if cids:
                        cid = max(cids, key=lambda c: scored.get(c, 0.0))
                        cited[cid] = max(cited.get(cid, 0.0), 1.0 - step * rank - LATER_QUOTE * min(i, 1))
            for cid, weight in cited.items():
                scored[cid] = 1.0 + weight + 0.05 * scored.get(cid, 0.0)
        by_id = {h.chunk_id: h for h in hits}
        ranked = sorted(scored, key=lambda cid: scored[cid], reverse=True)[:TOP_K]
        if rec and len(rec.rules) > 1 and rec.rules[0].id not in self._modifier_ids:
            ranked = self._second_area_shown(ranked, scored, rec.rules[1])
        return [
            self.retriever.passage(by_id.get(cid) or Hit(cid, 0.0, 0.0, 0.0), score=round(scored[cid], 4))
            for cid in ranked
        ]


__all__ = ["Answerer", "HINT", "truncate"]
