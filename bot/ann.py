"""Pick and build the FAISS index from the corpus size: exact flat when small, approximate when large.

All indexes search by inner product over L2-normalised vectors (= cosine). The choice, measured by
benchmarks/scale.py on this 2-core machine with 384-d vectors:

- up to FLAT_MAX (50k) vectors: IndexFlatIP. Exact, no training, builds instantly; a query scans
  n × 1.5 KB, which stays near ~3 ms at 50k. Every real corpus of this bot (a few hundred chunks, a big
  org wiki in the thousands) lands here, so answers are exact.
- above: HNSW or IVF (see LARGE_KIND). Their search parameters (efSearch / nprobe) are stored inside the
  index, so faiss.write_index / read_index keep them and a plain `index.search` is already tuned.
"""

from __future__ import annotations

import math
import os

import faiss
import numpy as np

from bot.errors import WhodecidesError

__all__ = [
    "FLAT_MAX",
    "build_ann",
    "calibrate",
    "choose_kind",
    "describe",
    "exact_neighbours",
    "recall_at_k",
    "search",
    "set_threads",
    "synthetic_vectors",
]

FLAT_MAX = 50_000
KINDS = ("auto", "flat", "hnsw", "ivf")
LARGE_KIND = "ivf"  # what "auto" builds above FLAT_MAX: see benchmarks/RESULTS.md for the measurements

# HNSW: M=32 links per node, efConstruction 40. Its 1M build takes many minutes on 2 cores (see
# benchmarks/RESULTS.md), which is why "auto" prefers IVF; "hnsw" stays available by name.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40

# IVF: ~2·√n lists (a power of two), k-means on 39 points per list (faiss' minimum), 10 iterations.
# The lists hold 8-bit scalar-quantised codes (a quarter of the bytes a query must scan, which is what
# bounds IVF search time) and the top REFINE_K_FACTOR·k candidates are re-scored exactly against the
# float vectors, so ranking and scores are exact and recall equals IVF,Flat's at the same nprobe.
IVF_LISTS_PER_SQRT_N = 2
IVF_TRAIN_PER_LIST = 39
IVF_TRAIN_ITERATIONS = 10
REFINE_K_FACTOR = 4

# Search effort (nprobe / efSearch) is calibrated on the data at build time: the smallest setting whose
# recall@10 against exact search, on a sample of the indexed vectors used as queries, reaches
# CALIBRATION_RECALL. The margin over the 0.95 goal covers the sampling error of 200 queries.
CALIBRATION_RECALL = 0.965
CALIBRATION_QUERIES = 200
CALIBRATION_K = 10
_EFFORT_STEPS = (8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 256, 384, 512, 768, 1024, 2048, 4096)


def set_threads(threads: int | None = None) -> int:
    """faiss' OpenMP threads (all cores by default). Builds want all cores; a server searching one query
    per request wants 1: with 2, OpenMP's spinning workers fight OpenBLAS' (the encoder's) for the 2
    cores and a 100k flat search went from 8.5 ms to 46 ms here."""
    n = threads or os.cpu_count() or 1
    faiss.omp_set_num_threads(n)
    return n


def choose_kind(n: int, *, flat_max: int = FLAT_MAX) -> str:
    return "flat" if n <= flat_max else LARGE_KIND


def ivf_lists(n: int) -> int:
    """~2·√n, rounded to a power of two, with ≥ IVF_TRAIN_PER_LIST training points per list."""
    target = max(1, IVF_LISTS_PER_SQRT_N * math.sqrt(n))
    nlist = 1 << max(0, round(math.log2(target)))
    return max(1, min(nlist, n // IVF_TRAIN_PER_LIST or 1))


def _checked(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2:
        raise ValueError(f"build_ann needs a 2-D array (n, dim), got shape {x.shape}")
    if x.shape[0] == 0:
        raise WhodecidesError("Cannot build a vector index from no vectors: the corpus produced no chunks.")
    if x.shape[1] == 0:
        raise ValueError("build_ann needs vectors with at least one dimension")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise ValueError("build_ann got NaN or infinite values in the vectors")
    return x


def build_ann(
    vectors: np.ndarray,
    *,
    kind: str = "auto",
    flat_max: int = FLAT_MAX,
    target_recall: float = CALIBRATION_RECALL,
    seed: int = 1234,
) -> faiss.Index:
    """An inner-product index over `vectors` (float32, L2-normalised rows), tuned for recall@10 ≥ 0.95.

    kind: "auto" (flat up to `flat_max` vectors, else LARGE_KIND), "flat", "hnsw" or "ivf".
    """
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}; use one of {', '.join(KINDS)}")
    x = _checked(vectors)
    n, dim = x.shape
    if kind == "auto":
        kind = choose_kind(n, flat_max=flat_max)

    if kind == "flat":
        index: faiss.Index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        nlist = ivf_lists(n)
        # index_factory gives an index that owns its coarse quantizer (no SWIG lifetime traps).
        index = faiss.index_factory(dim, f"IVF{nlist},SQ8,RFlat", faiss.METRIC_INNER_PRODUCT)
        faiss.downcast_index(index).k_factor = REFINE_K_FACTOR
        ivf = faiss.extract_index_ivf(index)
        # Unit vectors share one SQ8 range well; residual coding only slowed training and adds here.
        faiss.downcast_index(faiss.downcast_index(index).base_index).by_residual = False
        ivf.cp.niter = IVF_TRAIN_ITERATIONS
        ivf.cp.seed = seed
        # k-means (and the SQ8 ranges) cost is linear in the sample: faiss' minimum of 39 points per list is enough for
        # centroids (its default cap is 256) and keeps a 1M build to tens of seconds.
        sample = min(n, nlist * IVF_TRAIN_PER_LIST)
        rows = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
        index.train(x[rows])
    if kind == "flat" or n < 2 * CALIBRATION_QUERIES:
        index.add(x)
        if kind != "flat":  # too few vectors to calibrate: search (almost) everything
            _set_effort(index, _effort_cap(index))
        return index
    # Calibrate on vectors the index has not seen yet (a point already in an HNSW graph or an IVF list
    # finds its neighbours too easily): add all but the last rows, tune on those, then add them. Ids
    # stay the row numbers because the held-out rows are the last ones.
    held = n - CALIBRATION_QUERIES
    index.add(x[:held])
    calibrate(index, x[:held], x[held:], target_recall=target_recall)
    index.add(x[held:])
    return index


def _set_effort(index: faiss.Index, value: int) -> None:
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexHNSW):
        real.hnsw.efSearch = value
    else:
        faiss.extract_index_ivf(index).nprobe = value


def _effort_cap(index: faiss.Index) -> int:
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexHNSW):
        return min(real.ntotal, _EFFORT_STEPS[-1])
    return faiss.extract_index_ivf(index).nlist


def exact_neighbours(base: np.ndarray, queries: np.ndarray, k: int, block: int = 65_536) -> np.ndarray:
    """Ids of the exact top-k by inner product, best first; blocked so 1M × 384 needs little memory."""
    k = min(k, len(base))
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(base), block):
        scores = queries @ base[start : start + block].T
        s = np.concatenate([best_s, scores], axis=1)
        i = np.concatenate([best_i, np.arange(start, start + scores.shape[1])[None].repeat(len(queries), 0)], 1)
        top = np.argpartition(-s, k - 1, axis=1)[:, :k] if s.shape[1] > k else np.argsort(-s, axis=1)
        best_s, best_i = np.take_along_axis(s, top, 1), np.take_along_axis(i, top, 1)
    order = np.argsort(-best_s, axis=1, kind="stable")
    return np.take_along_axis(best_i, order, 1)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of each true top-k found in the returned top-k."""
    k = truth.shape[1]
    hits = [len(set(f[:k].tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True)]
    return float(np.sum(hits)) / (k * len(truth)) if len(truth) else 1.0


def calibrate(
    index: faiss.Index, base: np.ndarray, queries: np.ndarray, *, target_recall: float = CALIBRATION_RECALL
) -> int:
    """Set the smallest search effort (efSearch or nprobe) whose recall@10 on `queries` (not in the
    index; `base` is what it holds) reaches `target_recall`, and return it."""
    k = min(CALIBRATION_K, len(base))
    truth = exact_neighbours(base, queries, k)
    cap = _effort_cap(index)
    steps = [v for v in _EFFORT_STEPS if v < cap] + [cap]
    for value in steps:
        _set_effort(index, value)
        _, ids = index.search(queries, k)
        if recall_at_k(ids, truth) >= target_recall:
            return value
    return steps[-1]


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids), each (n_queries, min(k, ntotal)), best first. A single 1-D query is accepted."""
    if k < 1:
        raise ValueError("k must be ≥ 1")
    q = np.asarray(queries, dtype=np.float32)
    if q.ndim == 1:
        q = q.reshape(1, -1)
    if q.ndim != 2 or q.shape[1] != index.d:
        raise ValueError(f"queries must have shape (n, {index.d}), got {np.shape(queries)}")
    k = min(k, index.ntotal)
    if k == 0 or q.shape[0] == 0:
        return np.zeros((q.shape[0], 0), np.float32), np.zeros((q.shape[0], 0), np.int64)
    return index.search(np.ascontiguousarray(q), k)


def describe(index: faiss.Index) -> str:
    """One line for logs and the benchmark table, e.g. 'IVF2048,SQ8,RFlat nprobe=96 k_factor=4 · 1,000,000 × 384'."""
    real = faiss.downcast_index(index)
    size = f"{real.ntotal:,} × {real.d}"
    if isinstance(real, faiss.IndexHNSW):
        return f"HNSW{real.hnsw.nb_neighbors(1)},Flat efSearch={real.hnsw.efSearch} · {size}"
    if isinstance(real, faiss.IndexRefine):
        ivf = faiss.downcast_index(real.base_index)
        codec = "SQ8" if isinstance(ivf, faiss.IndexIVFScalarQuantizer) else type(ivf).__name__
        return f"IVF{ivf.nlist},{codec},RFlat nprobe={ivf.nprobe} k_factor={real.k_factor:g} · {size}"
    if isinstance(real, faiss.IndexIVF):
        return f"IVF{real.nlist},Flat nprobe={real.nprobe} · {size}"
    if isinstance(real, faiss.IndexFlat):
        return f"Flat (exact) · {size}"
    return f"{type(real).__name__} · {size}"


def synthetic_vectors(n: int, dim: int = 384, *, seed: int = 0, alpha: float = 1.0) -> np.ndarray:
    """Random unit vectors shaped like sentence embeddings, for benchmarks and tests.

    Isotropic random vectors in 384-d have no neighbourhood structure (every point is about equally far
    from every other): no real embedding set looks like that, and on them every ANN method degenerates
    to a full scan. Real MiniLM vectors concentrate their variance in few directions (participation
    ratio ≈ 19 on our corpus). So: a Gaussian with per-axis variance ∝ i^-alpha, normalised; alpha=1
    gives a participation ratio ≈ 26 at 384-d, a little harder than the real corpus.
    """
    rng = np.random.default_rng(seed)
    scale = (np.arange(1, dim + 1, dtype=np.float32) ** (-alpha / 2)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000  # bounded temporaries at 1M
    for start in range(0, n, step):
        block = rng.standard_normal((min(step, n - start), dim), dtype=np.float32)
        block *= scale
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + len(block)] = block
    return out
