"""The baseline of the encode-floor benchmark: all-MiniLM-L6-v2 hand-written in numpy (formerly bot/fastencode.py).

It was the query encoder before ONNX Runtime replaced it (issue 13) and is kept here only so that `make bench`
can measure ONNX Runtime against it in the same run. Nothing in bot/ imports it. It reads the
sentence-transformers model folder as sentence-transformers does (modules.json, 1_Pooling, sentence_bert_config,
tokenizer.json, config.json) and memory-maps model.safetensors; its vectors were held to cosine ≥ 0.999 against
sentence-transformers by the test that the ONNX encoder's test replaced.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

__all__ = ["NumpyEncoder", "erf", "gelu", "limit_blas_threads"]

_SAFETENSORS_DTYPES = {
    "F32": np.float32,
    "F16": np.float16,
    "F64": np.float64,
    "I64": np.int64,
    "I32": np.int32,
}


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Memory-map a .safetensors file: u64 header size, JSON header, then raw little-endian tensors."""
    with open(path, "rb") as fh:
        (header_len,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(header_len))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ValueError(f"{path.name}: tensor {name} has unsupported dtype {meta['dtype']}")
        start, end = meta["data_offsets"]
        tensors[name] = raw[start:end].view(np.dtype(dtype).newbyteorder("<")).reshape(meta["shape"])
    return tensors


# numpy has no erf and importing scipy costs ~0.3 s. Numerical Recipes' erfc fit (Chebyshev, fractional
# error < 1.2e-7) evaluated in float32 with in-place Horner steps: abs error ≤ 4e-7, i.e. float32 noise.
_ERFC_COEFFS = tuple(
    np.float32(c)
    for c in (
        0.17087277,
        -0.82215223,
        1.48851587,
        -1.13520398,
        0.27886807,
        -0.18628806,
        0.09678418,
        0.37409196,
        1.00002368,
        -1.26551223,
    )
)


def erf(x: np.ndarray) -> np.ndarray:
    """Vectorised erf for float arrays (computed in float32)."""
    x = np.asarray(x, dtype=np.float32)
    shape = x.shape
    x = x.reshape(-1)  # in-place steps below need an array, not a 0-d scalar
    a = np.abs(x)
    t = a * np.float32(0.5)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = np.full_like(t, _ERFC_COEFFS[0])
    for c in _ERFC_COEFFS[1:]:
        poly *= t
        poly += c
    a *= a
    poly -= a  # exponent: -x² + P(t)
    np.exp(poly, out=poly)
    poly *= t  # erfc(|x|)
    np.subtract(np.float32(1.0), poly, out=poly)
    return np.copysign(poly, x, out=poly).reshape(shape)


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU: x · Φ(x)."""
    return x * (0.5 * (1.0 + erf(x * np.float32(0.7071067811865476))))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608028654) * (x + np.float32(0.044715) * x * x * x)))


_ACTIVATIONS = {
    "gelu": gelu,
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "relu": lambda x: np.maximum(x, 0),
}


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred * (1.0 / np.sqrt(var + np.float32(eps))) * weight + bias


class _Layer:
    """One BERT encoder layer with Q, K and V fused into one matmul (weights pre-transposed, contiguous)."""

    __slots__ = (
        "qkv_w",
        "qkv_b",
        "out_w",
        "out_b",
        "ln1_w",
        "ln1_b",
        "up_w",
        "up_b",
        "down_w",
        "down_b",
        "ln2_w",
        "ln2_b",
    )

    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return np.asarray(w[prefix + name], dtype=np.float32)

        att = "attention.self."
        self.qkv_w = np.ascontiguousarray(
            np.concatenate([get(att + "query.weight"), get(att + "key.weight"), get(att + "value.weight")]).T
        )
        self.qkv_b = np.concatenate([get(att + "query.bias"), get(att + "key.bias"), get(att + "value.bias")])
        self.out_w = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_b = get("attention.output.dense.bias").copy()
        self.ln1_w = get("attention.output.LayerNorm.weight").copy()
        self.ln1_b = get("attention.output.LayerNorm.bias").copy()
        self.up_w = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.up_b = get("intermediate.dense.bias").copy()
        self.down_w = np.ascontiguousarray(get("output.dense.weight").T)
        self.down_b = get("output.dense.bias").copy()
        self.ln2_w = get("output.LayerNorm.weight").copy()
        self.ln2_b = get("output.LayerNorm.bias").copy()


def limit_blas_threads(threads: int) -> bool:
    """Cap the BLAS libraries loaded in this process (numpy's OpenBLAS) at `threads` threads.

    Why 1 for serving: a query is a few small matmuls, and OpenBLAS' second thread only pays off when a
    core is idle. On a busy 2-core machine its threads wait for each other: measured here, answers per
    second went from 14 to 60 with one BLAS thread (and from 11.4 to 12.7 ms per query on an idle
    machine). Concurrency comes from requests, not from inside one matmul. Process-wide, as OpenBLAS is.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn / sentence-transformers
        return False
    threadpool_limits(limits=threads, user_api="blas")
    return True


class NumpyEncoder:
    """Encode texts like SentenceTransformer(model_dir).encode(texts, normalize_embeddings=True).

    Thread-safe: encode() keeps no state between calls, so several threads may encode at once.
    `blas_threads` caps numpy's BLAS threads process-wide (see limit_blas_threads); None (the default) leaves
    them be: that is the entry point's choice (bot.process.configure_process), not a constructor's.
    """

    thread_safe = True  # callers need no lock around encode()

    def __init__(self, model_dir: str | Path, *, blas_threads: int | None = None) -> None:
        self.model_dir = Path(model_dir)
        self._check_modules()
        config = json.loads((self.model_dir / "config.json").read_text())
        if config.get("model_type", "bert") != "bert":
            raise ValueError(f"NumpyEncoder supports BERT models, not {config.get('model_type')!r}")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("NumpyEncoder supports absolute position embeddings only")
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        act = config.get("hidden_act", "gelu")
        if act not in _ACTIVATIONS:
            raise ValueError(f"NumpyEncoder does not know the activation {act!r}")
        self._act = _ACTIVATIONS[act]

        st_config_path = self.model_dir / "sentence_bert_config.json"
        st_config = json.loads(st_config_path.read_text()) if st_config_path.exists() else {}
        max_pos = int(config.get("max_position_embeddings", 512))
        self.max_seq_length: int = min(int(st_config.get("max_seq_length") or max_pos), max_pos)
        # sentence-transformers lower-cases itself only when do_lower_case is set; otherwise the
        # tokenizer's own normaliser (BertNormalizer lowercase=True here) does it.
        self._lower = bool(st_config.get("do_lower_case", False))

        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()  # we pad per batch ourselves
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)

        w = _read_safetensors(self.model_dir / "model.safetensors")
        p = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""
        self._word = w[p + "embeddings.word_embeddings.weight"]  # memory-mapped, rows read on demand
        if self._word.dtype != np.float32:
            self._word = self._word.astype(np.float32)
        self._pos = np.asarray(w[p + "embeddings.position_embeddings.weight"], dtype=np.float32)
        self._type0 = np.asarray(w[p + "embeddings.token_type_embeddings.weight"][0], dtype=np.float32).copy()
        self._emb_ln_w = np.asarray(w[p + "embeddings.LayerNorm.weight"], dtype=np.float32).copy()
        self._emb_ln_b = np.asarray(w[p + "embeddings.LayerNorm.bias"], dtype=np.float32).copy()
        self._layers = [_Layer(w, f"{p}encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))]
        self.dim: int = int(config["hidden_size"])
        self._head_dim = self.dim // self._heads
        self._scale = np.float32(1.0 / np.sqrt(self._head_dim))
        if blas_threads is not None:
            limit_blas_threads(blas_threads)

    def _check_modules(self) -> None:
        modules_path = self.model_dir / "modules.json"
        if not modules_path.exists():
            return  # a bare HF BERT folder: ST would add mean pooling, as we do
        kinds = [m["type"].rsplit(".", 1)[-1] for m in json.loads(modules_path.read_text())]
        if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
            raise ValueError(f"NumpyEncoder supports Transformer → Pooling (→ Normalize), not {kinds}")
        pooling_dir = next(m["path"] for m in json.loads(modules_path.read_text()) if m["type"].endswith("Pooling"))
        pooling = json.loads((self.model_dir / pooling_dir / "config.json").read_text())
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
        if modes != ["pooling_mode_mean_tokens"]:
            raise ValueError(f"NumpyEncoder supports mean pooling only, not {modes}")

    # --- encoding ---------------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        prepared = [str(t).strip() for t in texts]
        if self._lower:
            prepared = [t.lower() for t in prepared]
        return [enc.ids for enc in self._tokenizer.encode_batch(prepared)]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """float32 (len(texts), dim), each row L2-normalised. Batches are length-sorted to pad little."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings; wrap a single string in a list")
        if batch_size < 1:
            raise ValueError("batch_size must be ≥ 1")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        ids = self.tokenize(texts)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._encode_ids([ids[i] for i in chunk])
        return out

    def _encode_ids(self, batch: list[list[int]]) -> np.ndarray:
        n, length = len(batch), max(len(ids) for ids in batch)
        input_ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0

        x = self._word[input_ids] + self._pos[:length] + self._type0
        x = _layer_norm(x, self._emb_ln_w, self._emb_ln_b, self._eps).reshape(n * length, self.dim)
        # Padded keys get a large negative bias so softmax gives them ~0 weight (as HF does).
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :] if n > 1 else None
        h, hd = self._heads, self._head_dim
        for layer in self._layers:
            qkv = np.matmul(x, layer.qkv_w)
            qkv += layer.qkv_b
            qkv = qkv.reshape(n, length, 3, h, hd).transpose(2, 0, 3, 1, 4)  # (3, n, h, L, hd)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = np.matmul(q, k.transpose(0, 1, 3, 2))
            scores *= self._scale
            if bias is not None:
                scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = np.matmul(scores, v).transpose(0, 2, 1, 3).reshape(n * length, self.dim)
            att = np.matmul(ctx, layer.out_w)
            att += layer.out_b
            att += x
            x = _layer_norm(att, layer.ln1_w, layer.ln1_b, self._eps)
            up = np.matmul(x, layer.up_w)
            up += layer.up_b
            down = np.matmul(self._act(up), layer.down_w)
            down += layer.down_b
            down += x
            x = _layer_norm(down, layer.ln2_w, layer.ln2_b, self._eps)

        tokens = x.reshape(n, length, self.dim)
        summed = np.einsum("nld,nl->nd", tokens, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"NumpyEncoder({str(self.model_dir)!r}, dim={self.dim}, max_seq_length={self.max_seq_length})"
