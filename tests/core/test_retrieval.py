"""Ranking on the real corpus with the real model and FAISS index."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.retrieval as retrieval
from bot.retrieval import Retriever, top_k
from bot.textutil import lexical_terms
from bot.topic import topic_of

TOPICS = [
    "who orders the backlog",
    "the price of the enterprise tier",
    "the product roadmap",
    "which programming language the team uses",
    "market research with customers",
    "acceptance criteria",
    "the weather in Paris",
    "sprint",
]


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("Who should decide the price of the product, the PO or the PM?", "pricing analysis"),
        ("Who owns product marketing?", "product marketing"),
        ("Who develops the business case for the product?", "business case"),
        ("Who decides whether a backlog item is ready to be worked on?", "ready to be worked on"),
        ("Who surveys customers to understand their unstated needs?", "unstated needs"),
    ],
)
def test_hybrid_ranks_the_passage_about_the_decision_in_the_top_3(answerer, question: str, phrase: str) -> None:
    hits = answerer.retriever.search(topic_of(question), 3)
    texts = [answerer.index.chunks[h.chunk_id].text.lower() for h in hits]
    assert any(phrase in t for t in texts), texts


def test_retrieval_keys_on_the_decision_not_the_frame(answerer) -> None:
    framed = topic_of("Who should decide the product roadmap, the PO or the PM?")
    assert framed == "the product roadmap"
    a = [h.chunk_id for h in answerer.retriever.search(framed, 3)]
    b = [h.chunk_id for h in answerer.retriever.search("the product roadmap", 3)]
    assert a == b
    assert len(answerer.retriever.lexical_matches(topic_of("Who should decide, the PO or the PM?")).ids) == 0


def test_scores_are_sorted_and_each_mode_returns_hits(answerer) -> None:
    for mode in ("dense", "lexical", "hybrid", "rrf"):
        r = Retriever(answerer.index, answerer.encoder, mode)
        hits = r.search("who orders the backlog", 5)
        assert len(hits) == 5
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    with pytest.raises(ValueError):
        Retriever(answerer.index, answerer.encoder, "magic")


def test_dense_hits_are_cosines_best_first(answerer) -> None:
    vec = answerer.encoder.encode(["the product roadmap"])[0]
    ids, scores = answerer.retriever.dense_hits(vec, 10)
    assert len(ids) == 10 and list(scores) == sorted(scores, reverse=True)
    assert -1.0 <= scores.min() and scores.max() <= 1.0001
    assert "roadmap" in answerer.index.chunks[int(ids[0])].text.lower()
    stored = answerer.index.ann.reconstruct_batch(ids)
    np.testing.assert_allclose(stored @ vec, scores, atol=1e-5)


def _exhaustive(answerer, topic: str, mode: str, k: int) -> list[tuple[int, float]]:
    """Every chunk scored, fused and fully sorted: what retrieval did before it kept only each method's top."""
    index, n = answerer.index, answerer.index.ann.ntotal
    vec = answerer.encoder.encode([topic])[0]
    dense = index.ann.reconstruct_n(0, n) @ vec
    lexical = np.zeros(n, dtype=np.float32)
    m = index.lexical.match(lexical_terms(topic, drop_frame=True))
    lexical[m.ids] = m.scores
    if mode == "dense":
        fused = dense
    elif mode == "lexical":
        fused = lexical
    elif mode == "hybrid":
        top = float(lexical.max())
        fused = (lexical / top if top > 0 else lexical) + retrieval.DENSE_WEIGHT * np.clip(dense, 0.0, None)
    else:
        fused = np.zeros(n)
        for scores, keep in ((dense, np.ones(n, bool)), (lexical, lexical > 0)):
            order = np.argsort(-scores, kind="stable")
            ranks = np.empty(n, int)
            ranks[order] = np.arange(n)
            fused += np.where(keep, 1.0 / (retrieval.RRF_K + ranks + 1), 0.0)
    order = np.argsort(-fused, kind="stable")[:k]
    return [(int(i), float(fused[i])) for i in order]


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid", "rrf"])
def test_top_candidates_rank_exactly_as_scoring_every_chunk_on_a_small_corpus(answerer, mode: str) -> None:
    assert answerer.index.ann.ntotal <= retrieval.CANDIDATES
    r = Retriever(answerer.index, answerer.encoder, mode)
    for topic in TOPICS:
        got = [(h.chunk_id, h.score) for h in r.search(topic, 12)]
        want = _exhaustive(answerer, topic, mode, 12)
        assert [i for i, _ in got] == [i for i, _ in want], topic
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5, atol=1e-6)


def test_with_few_candidates_each_hit_still_carries_its_exact_scores(answerer, monkeypatch) -> None:
    monkeypatch.setattr(retrieval, "CANDIDATES", 5)  # far fewer than the chunks: the large-corpus situation
    index = answerer.index
    r = Retriever(index, answerer.encoder)
    for topic in TOPICS:
        vec = answerer.encoder.encode([topic])[0]
        lexical = index.lexical.match(lexical_terms(topic, drop_frame=True))
        hits = r.search(topic, 8, query_vec=vec)
        assert len(hits) == len({h.chunk_id for h in hits}) <= 10
        for h in hits:
            exact_dense = float(index.ann.reconstruct(h.chunk_id) @ vec)
            assert h.dense == pytest.approx(exact_dense, abs=1e-5)
            assert h.lexical == pytest.approx(float(lexical.score_of(np.array([h.chunk_id]))[0]))
        dense_top = set(r.dense_hits(vec, 5)[0].tolist())
        lexical_top = set(lexical.ids[top_k(lexical.scores, 5)].tolist())
        assert {h.chunk_id for h in hits} <= dense_top | lexical_top


@given(st.lists(st.integers(-3, 3), max_size=40), st.integers(0, 45))
def test_top_k_is_a_stable_descending_sort_cut_at_k(values: list[int], k: int) -> None:
    scores = np.asarray(values, dtype=np.float32)
    want = np.argsort(-scores, kind="stable")[:k]
    assert top_k(scores, k).tolist() == want.tolist()
