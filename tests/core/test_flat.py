"""A saved flat index is read and searched with numpy alone, exactly as faiss reads and searches it; any other
file is left to faiss."""

from pathlib import Path

import faiss
import numpy as np
import pytest

from bot.flat import FlatIP, read_flat_ip
from bot.index import VECTORS, Index, _as_faiss


@pytest.fixture(scope="module")
def saved(real_index_dir: Path) -> tuple[faiss.Index, FlatIP]:
    path = real_index_dir / VECTORS
    by_faiss = faiss.read_index(str(path))
    flat = read_flat_ip(path, dim=by_faiss.d, n=by_faiss.ntotal)
    assert flat is not None
    return by_faiss, flat


def test_the_vectors_are_faiss_own(saved) -> None:
    by_faiss, flat = saved
    assert (flat.ntotal, flat.d) == (by_faiss.ntotal, by_faiss.d)
    assert np.array_equal(flat.reconstruct_n(0, flat.ntotal), by_faiss.reconstruct_n(0, by_faiss.ntotal))
    ids = np.array([5, 0, flat.ntotal - 1])
    assert np.array_equal(flat.reconstruct_batch(ids), by_faiss.reconstruct_batch(ids))
    assert np.array_equal(flat.reconstruct(3), by_faiss.reconstruct(3))


def test_search_ranks_as_faiss_and_pads_as_faiss(saved) -> None:
    by_faiss, flat = saved
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((200, flat.d)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    for k in (1, 10, flat.ntotal + 6):  # past ntotal: -1 ids and -FLT_MAX scores pad the rows
        want_scores, want_ids = by_faiss.search(queries, k)
        got_scores, got_ids = flat.search(queries, k)
        assert np.array_equal(got_ids, want_ids)
        np.testing.assert_allclose(got_scores, want_scores, rtol=0, atol=1e-6)


def test_other_files_are_left_to_faiss(real_index_dir: Path, tmp_path: Path) -> None:
    path = real_index_dir / VECTORS
    n = faiss.read_index(str(path)).ntotal
    assert read_flat_ip(path, dim=384, n=n + 1) is None  # another size than the manifest's
    assert read_flat_ip(path, dim=128, n=n) is None
    truncated = tmp_path / "short.faiss"
    truncated.write_bytes(path.read_bytes()[:-4])
    assert read_flat_ip(truncated, dim=384, n=n) is None
    ivf = faiss.index_factory(8, "IVF2,Flat", faiss.METRIC_INNER_PRODUCT)
    data = np.random.default_rng(0).standard_normal((100, 8)).astype(np.float32)
    ivf.train(data)
    ivf.add(data)
    faiss.write_index(ivf, str(tmp_path / "ivf.faiss"))
    assert read_flat_ip(tmp_path / "ivf.faiss", dim=8, n=100) is None


def test_a_loaded_index_opens_its_flat_vectors_without_faiss_and_saves_them_back(real_index_dir, tmp_path) -> None:
    index = Index.load(real_index_dir)
    assert isinstance(index.ann, FlatIP)
    faiss.write_index(_as_faiss(index.ann), str(tmp_path / VECTORS))
    again = read_flat_ip(tmp_path / VECTORS, dim=index.ann.d, n=index.ann.ntotal)
    assert again is not None and np.array_equal(again.vectors, index.ann.vectors)
