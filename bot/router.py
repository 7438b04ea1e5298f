"""The intent router: which decision area a question is about, learnt from each area's example utterances.

Each rule (and each `outside:` area) of the rule book is an intent with 15–30 everyday example utterances.
They are embedded with the query encoder and a multinomial logistic regression (scikit-learn) is fitted on the
vectors, as Rasa's and semantic-router's intent classifiers do. The fit runs at index time and is cached next to
the index as plain arrays, keyed by the rules' digest and the model, so answering needs numpy only (no
scikit-learn import on the query path). The closest example of the chosen intent explains a semantic match.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.embedding import Encoder
from bot.rules import RuleBook
from bot.technical import TERMS_FILE, known_terms, word_list
from bot.topic import mask_names, topic_of

log = logging.getLogger(__name__)

CACHE = "router.npz"
EVERYDAY_NAMES = Path(__file__).with_name("everyday_names.txt")
FORMAT = "router-11"
# Regularisation of the logistic regression, chosen by 10-fold cross-validation over the examples
# (`cross_validate`): intent accuracy 0.698 at C=16, 0.699 at 64, 0.694 at 128; owners are what the answer needs.
C_REG = 64.0
# A trigger or area name teaches the router too, but it is keyword-speak, not how people write: less weight.
PHRASE_WEIGHT = 0.3


@dataclass(frozen=True)
class Route:
    intent: str  # a rule id or an outside id
    prob: float  # the router's probability for it
    example: str  # its closest example utterance
    similarity: float  # cosine of the question and that example


def everyday_names() -> frozenset[str]:
    return frozenset(word_list(EVERYDAY_NAMES))


def known_words(book: RuleBook) -> frozenset[str]:
    """Words the rule book writes in lower case somewhere, and the technical vocabulary ("Vitest"): a capitalised
    word outside this set is a name."""
    out: set[str] = set(known_terms()) | everyday_names()
    for item in (*book.rules, *book.outside):
        for text in (item.area, *item.trigger_texts, *item.examples):
            out.update(w.lower() for w in re.findall(r"\b[a-z][a-z0-9]*\b", text))
    return frozenset(out)


# "should the CTA say 'Start trial' or 'Try free'?": two quoted wordings that a screen says, shows or reads are a
# choice of UI wording; what they say ("trial", "free") is not what is asked. A name ("should the plan be called
# 'Pro' or 'Plus'?") and a long claim ("are we 'the simplest CRM for freelancers' or …?") keep their words.
_Q = r"(?:['\"“‘][^'\"“”‘’\s]+(?:\s[^'\"“”‘’\s]+){0,3}['\"”’])"
_WORDING_CHOICE = re.compile(
    rf"\b(say|says|said|read|reads|show|shows|display|displays)\s+{_Q}\s*,?\s*(?:or|vs\.?|versus|/)\s*{_Q}(?!\w)", re.I
)


def question_text(text: str, known: frozenset[str]) -> str:
    """What the router and retrieval read of a question or an example: its topic, names masked."""
    return mask_names(_WORDING_CHOICE.sub(r"\1 one wording or another", topic_of(text)), known)


def training_set(book: RuleBook) -> tuple[list[str], list[str], list[float]]:
    """(texts, intent ids, sample weights): the examples, then area names and trigger phrasings.

    Each text is reduced to its topic, as questions are ("who decides X?" → "X"): the frame says nothing."""
    known = known_words(book)
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    for item in (*book.rules, *book.outside):
        for ex in item.examples:
            texts.append(question_text(ex, known))
            labels.append(item.id)
            weights.append(1.0)
        for phrase in (item.area, *item.trigger_texts):
            texts.append(question_text(phrase, known))
            labels.append(item.id)
            weights.append(PHRASE_WEIGHT)
    return texts, labels, weights


def fit(
    vectors: np.ndarray, labels: Sequence[str], weights: Sequence[float]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Multinomial logistic regression; returns (classes, coef, intercept). Deterministic (lbfgs, no sampling)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C_REG, max_iter=2000)
    model.fit(vectors, list(labels), sample_weight=np.asarray(weights))
    return [str(c) for c in model.classes_], model.coef_.astype(np.float32), model.intercept_.astype(np.float32)


class Router:
    def __init__(
        self,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        example_vectors: np.ndarray,
        example_labels: np.ndarray,
        example_texts: list[str],
    ) -> None:
        self.classes = classes
        self.coef = coef
        self.intercept = intercept
        self.example_vectors = example_vectors
        self.example_labels = example_labels  # index into classes
        self.example_texts = example_texts
        self._class_index = {c: i for i, c in enumerate(classes)}
        # Each intent's example rows and their vectors, gathered once rather than on every answer.
        self._rows = [np.flatnonzero(example_labels == i) for i in range(len(classes))]
        self._vectors = [example_vectors[rows] for rows in self._rows]

    # --- building and caching ---------------------------------------------------------------------------
    @classmethod
    def build(cls, book: RuleBook, encoder: Encoder) -> Router:
        texts, labels, weights = training_set(book)
        if not texts:
            raise ValueError("the rule book has no intents to route to")
        vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
        classes, coef, intercept = fit(vectors, labels, weights)
        index = {c: i for i, c in enumerate(classes)}
        keep = np.asarray(weights) == 1.0  # only real examples are shown as "closest example"
        ex_labels = np.asarray([index[lab] for lab in labels], dtype=np.int32)
        # Shown as typed (the model saw them with their frame removed); same order as the kept rows.
        shown = [ex for item in (*book.rules, *book.outside) for ex in item.examples]
        return cls(classes, coef, intercept, vectors[keep], ex_labels[keep], shown)

    @classmethod
    def load_or_build(cls, folder: Path, book: RuleBook, encoder: Encoder, model_fp: str) -> Router:
        # The vocabularies decide which words are masked as names, so they are part of what was fitted.
        terms = hashlib.sha256(TERMS_FILE.read_bytes() + EVERYDAY_NAMES.read_bytes()).hexdigest()[:16]
        key = f"{FORMAT}:C={C_REG}:{book.digest}:{terms}:{model_fp}"
        path = Path(folder) / CACHE
        cached = cls._load(path, key)
        if cached is not None:
            return cached
        router = cls.build(book, encoder)
        router._save(path, key)
        return router

    @classmethod
    def _load(cls, path: Path, key: str) -> Router | None:
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) != key:
                    return None
                return cls(
                    [str(c) for c in data["classes"]],
                    data["coef"],
                    data["intercept"],
                    data["example_vectors"],
                    data["example_labels"],
                    [str(t) for t in data["example_texts"]],
                )
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("the router cache %s is unreadable (%s): rebuilding it", path, exc)
            return None

    def _save(self, path: Path, key: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    key=np.array(key),
                    classes=np.array(self.classes),
                    coef=self.coef,
                    intercept=self.intercept,
                    example_vectors=self.example_vectors,
                    example_labels=self.example_labels,
                    example_texts=np.array(self.example_texts),
                )
            os.replace(tmp, path)  # atomic: replicas starting together never read half a file
        except OSError as exc:
            log.warning("could not cache the router in %s: %s", path.parent, exc)

    # --- routing ------------------------------------------------------------------------------------------
    def probabilities(self, vec: np.ndarray) -> dict[str, float]:
        logits = self.coef @ vec.astype(np.float32) + self.intercept
        logits = logits - logits.max()
        p = np.exp(logits)
        p /= p.sum()
        return dict(zip(self.classes, p.tolist(), strict=True))

    def closest_example(self, vec: np.ndarray, intent: str) -> tuple[str, float]:
        i = self._class_index.get(intent)
        if i is None:
            return "", 0.0
        rows = self._rows[i]
        if not len(rows):
            return "", 0.0
        sims = self._vectors[i] @ vec.astype(np.float32)
        j = int(np.argmax(sims))
        return self.example_texts[int(rows[j])], float(sims[j])

    def route(self, vec: np.ndarray, k: int = 3, probs: dict[str, float] | None = None) -> tuple[Route, ...]:
        probs = self.probabilities(vec) if probs is None else probs
        best = heapq.nlargest(k, probs, key=probs.__getitem__)  # = sorted(..., reverse=True)[:k], ties too
        return tuple(Route(c, probs[c], *self.closest_example(vec, c)) for c in best)


@dataclass(frozen=True)
class CrossValidation:
    intent_accuracy: float  # the held-out example's own intent predicted
    owner_accuracy: float  # an intent of the same owner predicted: what decides the answer
    n: int


def cross_validate(book: RuleBook, encoder: Encoder, folds: int = 10, seed: int = 0) -> CrossValidation:
    """Held-out accuracy of the router over the examples: each example is predicted by a router fitted
    without it (k-fold; with folds equal to the number of examples this is leave-one-out)."""
    texts, labels, weights = training_set(book)
    owner = {r.id: r.owner for r in book.rules} | {o.id: "UNKNOWN" for o in book.outside}
    vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
    lab = np.asarray(labels)
    w = np.asarray(weights)
    real = np.flatnonzero(w == 1.0)
    order = np.random.default_rng(seed).permutation(real)
    intent_ok = owner_ok = 0
    for f in range(folds):
        held = order[f::folds]
        train = np.setdiff1d(np.arange(len(texts)), held)
        classes, coef, intercept = fit(vectors[train], lab[train], w[train])
        for p, h in zip(np.argmax(vectors[held] @ coef.T + intercept, axis=1), held, strict=True):
            intent_ok += classes[p] == lab[h]
            owner_ok += owner[classes[p]] == owner[str(lab[h])]
    n = len(real)
    return CrossValidation(intent_ok / n if n else 0.0, owner_ok / n if n else 0.0, n)
