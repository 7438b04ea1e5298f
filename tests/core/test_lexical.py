"""BM25 over the query terms' posting lists must score exactly as bm25s scores every document."""

from pathlib import Path

import bm25s
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chunking import chunk_corpus
from bot.corpus import load_corpus
from bot.index import lexical_text
from bot.lexical import LexicalIndex
from bot.linetable import LineTable, write_lines
from bot.textutil import lexical_terms
from tests.conftest import CORPUS

QUERIES = [
    "who orders the backlog",
    "the price of the enterprise tier",
    "product product product",  # a repeated term counts each time, as in bm25s
    "product marketing",
    "no-such-word zzz",
    "",
]


def _bm25s_scores(docs: list[list[str]], query: list[str]) -> np.ndarray:
    reference = bm25s.BM25()
    reference.index([d or ["_"] for d in docs], show_progress=False)
    known = [t for t in query if t in reference.vocab_dict]
    return reference.get_scores(known) if known else np.zeros(len(docs), dtype=np.float32)


def _full(index: LexicalIndex, n: int, query: list[str]) -> np.ndarray:
    m = index.match(query)
    out = np.zeros(n, dtype=np.float32)
    out[m.ids] = m.scores
    assert np.all(m.scores > 0) and np.all(np.diff(m.ids) > 0)
    return out


@pytest.fixture(scope="module")
def corpus_terms() -> list[list[str]]:
    return [lexical_terms(lexical_text(c)) for c in chunk_corpus(load_corpus(CORPUS))]


@pytest.mark.parametrize("query", QUERIES)
def test_real_corpus_scores_are_bm25s_scores_bit_for_bit(corpus_terms: list[list[str]], query: str) -> None:
    terms = lexical_terms(query)
    built = LexicalIndex.build(corpus_terms)
    np.testing.assert_array_equal(_full(built, len(corpus_terms), terms), _bm25s_scores(corpus_terms, terms))


def test_saved_and_loaded_index_scores_the_same(corpus_terms: list[list[str]], tmp_path: Path) -> None:
    built = LexicalIndex.build(corpus_terms)
    built.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, len(corpus_terms))
    assert isinstance(loaded.data.base, np.memmap)  # a view of the map: not read into memory at start
    for query in QUERIES:
        terms = lexical_terms(query)
        np.testing.assert_array_equal(_full(loaded, len(corpus_terms), terms), _full(built, len(corpus_terms), terms))


def test_score_of_looks_up_any_ids(corpus_terms: list[list[str]]) -> None:
    m = LexicalIndex.build(corpus_terms).match(lexical_terms("the product backlog"))
    ids = np.array([0, int(m.ids[0]), len(corpus_terms) - 1, int(m.ids[-1])])
    full = np.zeros(len(corpus_terms), np.float32)
    full[m.ids] = m.scores
    np.testing.assert_array_equal(m.score_of(ids), full[ids])


def test_scoring_sorted_ids_either_way_round_gives_the_exact_scores(corpus_terms: list[list[str]]) -> None:
    """`ascending=True` searches a posting list shorter than the ids in them; the default searches the ids in it."""
    index = LexicalIndex.build(corpus_terms)
    n = len(corpus_terms)
    rng = np.random.default_rng(5)
    shorter = longer = 0
    for query in QUERIES[:4]:
        terms = lexical_terms(query)
        want = _bm25s_scores(corpus_terms, terms)
        columns = index.match(terms)._columns
        lengths = [int(index.indptr[c + 1] - index.indptr[c]) for c in columns]
        for size in (1, 3, 10, 40, n):
            ids = np.sort(rng.choice(n, size, replace=False)).astype(np.int64)
            np.testing.assert_array_equal(index.scores(columns, ids, ascending=True), want[ids])
            np.testing.assert_array_equal(index.scores(columns, ids), want[ids])
            shorter += sum(length < size for length in lengths)
            longer += sum(length >= size for length in lengths)
    assert shorter and longer  # both directions were taken


@pytest.mark.parametrize("champions", [3, 1000])
def test_when_every_term_gave_its_whole_list_other_chunks_are_looked_up_among_the_candidates(
    corpus_terms: list[list[str]], monkeypatch: pytest.MonkeyPatch, champions: int
) -> None:
    import bot.lexical as lexical

    monkeypatch.setattr(lexical, "CHAMPIONS", champions)  # 3: common terms give only their champion lists
    index = LexicalIndex.build(corpus_terms)
    every = np.arange(len(corpus_terms))
    for query in QUERIES[:4]:
        terms = lexical_terms(query)
        m = index.match(terms)
        whole = all(index.indptr[c + 1] - index.indptr[c] <= champions for c in m._columns)
        assert m._complete == whole
        np.testing.assert_array_equal(m.score_of(every), _bm25s_scores(corpus_terms, terms))
        np.testing.assert_array_equal(m.score_of(every[::-5]), index.scores(m._columns, every[::-5]))


WORDS = st.sampled_from(["a", "b", "c", "dd", "é", "ß", "日本", "a_b", "zz"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(WORDS, max_size=8), min_size=1, max_size=25), st.lists(WORDS, max_size=5))
def test_random_corpora_score_as_bm25s(docs: list[list[str]], query: list[str]) -> None:
    index = LexicalIndex.build(docs)
    np.testing.assert_array_equal(_full(index, len(docs), query), _bm25s_scores(docs, query))


@given(
    st.sets(
        st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=6),
        max_size=30,
    )
)
def test_a_sorted_line_table_finds_every_line_and_nothing_else(tmp_path_factory, lines: set[str]) -> None:
    folder = tmp_path_factory.mktemp("table")
    ordered = sorted(lines)
    write_lines(folder / "t", (s.encode() for s in ordered))
    table = LineTable(folder / "t")
    assert len(table) == len(ordered)
    for i, s in enumerate(ordered):
        assert table.line(i) == s.encode() and table.find(s.encode()) == i
    assert table.find("\U0010ffff-not-there".encode()) == -1


def test_long_posting_lists_give_champion_candidates_with_exact_scores(
    corpus_terms: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.lexical as lexical

    monkeypatch.setattr(lexical, "CHAMPIONS", 3)  # every common term is now "long"
    index = LexicalIndex.build(corpus_terms)
    n = len(corpus_terms)
    for query in QUERIES[:4]:
        terms = lexical_terms(query)
        want = _bm25s_scores(corpus_terms, terms)
        m = index.match(terms)
        assert len(m.ids) <= 3 * len(set(terms))
        np.testing.assert_array_equal(m.scores, want[m.ids])  # candidates carry their exact scores
        np.testing.assert_array_equal(m.score_of(np.arange(n)), want)  # and so does any other chunk
        for t in set(terms):  # each term's 3 heaviest chunks are candidates
            alone = _bm25s_scores(corpus_terms, [t])
            heaviest = np.argsort(-alone, kind="stable")[:3]
            assert set(heaviest[alone[heaviest] > 0].tolist()) <= set(m.ids.tolist())


def test_sorted_unique_is_np_unique() -> None:
    from bot.lexical import sorted_unique

    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 7, 1000):
        values = rng.integers(0, max(n // 2, 1), n).astype(np.int64)
        got = sorted_unique(values)
        assert got.dtype == np.int64 and np.array_equal(got, np.unique(values))
