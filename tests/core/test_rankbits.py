"""RankBits answers what a binary search in the sorted ids would: membership and position, for any key."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.lexical import BITMAP_CACHE_BYTES, LexicalIndex
from bot.rankbits import RankBits


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1))))
def test_find_is_searchsorted_and_membership(case: tuple[int, set[int]]) -> None:
    n, members = case
    ids = np.array(sorted(members), dtype=np.int32)
    bits = RankBits(ids, n)
    for dtype in (np.int32, np.int64):
        keys = np.arange(n, dtype=dtype)  # every id below n, word boundaries (63, 64, 127, …) included
        at, present = bits.find(keys)
        want = np.minimum(np.searchsorted(ids, keys), len(ids) - 1)
        np.testing.assert_array_equal(at, want)
        np.testing.assert_array_equal(present, np.isin(keys, ids))
        np.testing.assert_array_equal(ids[at[present]], keys[present])


def test_a_full_and_a_sparse_list_over_several_words() -> None:
    n = 1000
    for ids in (np.arange(n), np.array([0, 63, 64, 511, 512, 999])):
        at, present = RankBits(ids, n).find(np.array([999, 0, 64, 65, 500]))
        assert present.tolist() == np.isin([999, 0, 64, 65, 500], ids).tolist()
        assert at.tolist() == np.minimum(np.searchsorted(ids, [999, 0, 64, 65, 500]), len(ids) - 1).tolist()


@pytest.mark.parametrize("n_docs", [100, 100_000, 1_000_000, 10_000_000])
def test_the_bitmap_cache_stays_within_its_byte_budget(n_docs: int) -> None:
    """The cache of long lists' bitmaps is bounded in bytes, however large the corpus (at least 16 lists)."""
    arrays = {
        "data": np.ones(1, np.float32),
        "indices": np.zeros(1, np.int32),
        "indptr": np.array([0, 1]),
        "champion_ids": np.zeros(0, np.int32),
        "champion_ptr": np.zeros(2, np.int64),
    }
    index = LexicalIndex(arrays, None, n_docs)  # type: ignore[arg-type]
    kept = index._bits_of.cache_info().maxsize
    one = RankBits(np.array([0, n_docs - 1]), n_docs).nbytes
    assert kept >= 16 and (kept == 16 or kept * one <= BITMAP_CACHE_BYTES)
