"""The size-aware FAISS builder: exact when small, approximate but recall@10 ≥ 0.95 when large."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from bot import ann
from bot.errors import WhodecidesError

DIM = 384


def exact_top(base: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ base.T
    return np.argsort(-scores, axis=1)[:, :k]


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    base = ann.synthetic_vectors(20_000, DIM, seed=1)
    queries = ann.synthetic_vectors(100, DIM, seed=2)
    return base, queries, exact_top(base, queries, 10)


def test_synthetic_vectors_are_unit_float32_and_reproducible() -> None:
    a = ann.synthetic_vectors(1000, 32, seed=5)
    assert a.shape == (1000, 32) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, ann.synthetic_vectors(1000, 32, seed=5))
    assert not np.array_equal(a, ann.synthetic_vectors(1000, 32, seed=6))


def test_auto_is_flat_up_to_the_threshold(data) -> None:
    base, queries, truth = data
    index = ann.build_ann(base[:5000], flat_max=5000)
    assert isinstance(faiss.downcast_index(index), faiss.IndexFlatIP)
    assert index.ntotal == 5000
    scores, ids = ann.search(index, queries, 10)
    np.testing.assert_array_equal(ids, exact_top(base[:5000], queries, 10))  # flat is exact
    assert scores.shape == ids.shape == (len(queries), 10)
    assert scores.dtype == np.float32 and ids.dtype == np.int64
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


def test_auto_is_approximate_above_the_threshold(data) -> None:
    base, _, _ = data
    index = ann.build_ann(base[:5001], flat_max=5000)
    real = faiss.downcast_index(index)
    assert not isinstance(real, faiss.IndexFlat)
    assert ann.choose_kind(5001, flat_max=5000) == ann.LARGE_KIND
    assert ann.choose_kind(ann.FLAT_MAX) == "flat"
    assert ann.choose_kind(ann.FLAT_MAX + 1) == ann.LARGE_KIND


@pytest.mark.parametrize("kind", ["hnsw", "ivf", "auto"])
def test_approximate_recall_at_10(data, kind: str) -> None:
    base, queries, truth = data
    index = ann.build_ann(base, kind=kind, flat_max=1000)
    assert index.ntotal == len(base)
    _, ids = ann.search(index, queries, 10)
    assert recall_at(ids, truth) >= 0.95, ann.describe(index)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_tuning_survives_write_and_read(data, kind: str, tmp_path: Path) -> None:
    base, queries, _ = data
    index = ann.build_ann(base[:6000], kind=kind)
    path = tmp_path / "vectors.faiss"
    faiss.write_index(index, str(path))
    loaded = faiss.read_index(str(path))
    assert ann.describe(loaded) == ann.describe(index)  # efSearch / nprobe are stored in the file
    np.testing.assert_array_equal(ann.search(loaded, queries, 5)[1], ann.search(index, queries, 5)[1])


def test_describe_names_the_kind_and_size(data) -> None:
    base, _, _ = data
    assert ann.describe(ann.build_ann(base[:100])) == "Flat (exact) · 100 × 384"
    assert ann.describe(ann.build_ann(base[:3000], kind="hnsw")).startswith(f"HNSW{ann.HNSW_M},Flat efSearch=")
    ivf = ann.describe(ann.build_ann(base[:3000], kind="ivf"))
    assert ivf.startswith("IVF") and "nprobe=" in ivf and ivf.endswith("3,000 × 384")


def test_search_shapes_single_query_and_small_index(data) -> None:
    base, queries, _ = data
    index = ann.build_ann(base[:3])
    scores, ids = ann.search(index, queries[0], 10)  # one 1-D query; k above ntotal
    assert scores.shape == ids.shape == (1, 3)
    assert sorted(ids[0].tolist()) == [0, 1, 2]
    with pytest.raises(ValueError):
        ann.search(index, queries[:, :10], 3)  # wrong dimension
    with pytest.raises(ValueError):
        ann.search(index, queries, 0)


def test_empty_and_malformed_input_are_refused() -> None:
    with pytest.raises(WhodecidesError, match="no vectors"):
        ann.build_ann(np.zeros((0, DIM), dtype=np.float32))
    with pytest.raises(ValueError, match="2-D"):
        ann.build_ann(np.zeros(DIM, dtype=np.float32))
    with pytest.raises(ValueError, match="NaN"):
        ann.build_ann(np.full((4, DIM), np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="unknown index kind"):
        ann.build_ann(np.ones((4, DIM), dtype=np.float32), kind="lsh")


def test_float64_input_is_accepted(data) -> None:
    base, queries, _ = data
    index = ann.build_ann(base[:500].astype(np.float64))
    assert ann.search(index, queries.astype(np.float64), 1)[1].shape == (len(queries), 1)


def test_exact_neighbours_matches_a_full_sort(data) -> None:
    base, queries, truth = data
    np.testing.assert_array_equal(ann.exact_neighbours(base, queries, 10, block=3001), truth)
    assert ann.recall_at_k(truth, truth) == 1.0
    assert ann.recall_at_k(truth[:, ::-1][:, :10], truth) == 1.0  # order within the top-k does not matter
    assert ann.recall_at_k(np.full_like(truth, -1), truth) == 0.0


def test_ivf_effort_is_calibrated_not_brute_force(data) -> None:
    base, _, _ = data
    index = ann.build_ann(base, kind="ivf")
    ivf = faiss.extract_index_ivf(index)
    assert 1 <= ivf.nprobe < ivf.nlist  # tuned down from a full scan, yet recall holds (test above)
    assert faiss.downcast_index(index).k_factor == ann.REFINE_K_FACTOR
