"""Warm answer vs encoding the question alone, and the encode floor: ONNX Runtime vs the numpy encoder vs int8.

All series of one figure are interleaved in one process, so they see the same machine noise.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import QUESTIONS, ROOT, log, ms, pct


def warm_section(rounds: int) -> dict:
    """Answerer.answer(q) against its own encoder's encode([q]), same questions, interleaved."""
    from bot.answer import Answerer
    from bot.settings import Settings

    t = time.perf_counter()
    answerer = Answerer.from_settings(Settings.from_env())
    start_s = time.perf_counter() - t
    encoder = answerer.encoder
    for q in QUESTIONS:  # warm caches and lazy tables
        answerer.answer(q)
        encoder.encode([q])
    answer_s: list[float] = []
    encode_s: list[float] = []
    for i in range(rounds):
        q = QUESTIONS[i % len(QUESTIONS)]
        t = time.perf_counter()
        encoder.encode([q])
        encode_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        answerer.answer(q)
        answer_s.append(time.perf_counter() - t)
    enc50, ans50 = pct(encode_s, 50), pct(answer_s, 50)
    return {
        "encoder": type(encoder).__name__,
        "answerer_start_s": round(start_s, 2),
        "rounds": rounds,
        "answer_p50_ms": ms(ans50),
        "answer_p99_ms": ms(pct(answer_s, 99)),
        "encode_p50_ms": ms(enc50),
        "encode_p99_ms": ms(pct(encode_s, 99)),
        "ratio_p50": round(ans50 / enc50, 2),
    }


def _interleaved(encoders: dict[str, object], rounds: int) -> dict[str, list[float]]:
    """Seconds per encode([q]) for each encoder, one question at a time, the encoders taking turns."""
    times: dict[str, list[float]] = {name: [] for name in encoders}
    for q in QUESTIONS:
        for enc in encoders.values():
            enc.encode([q])  # type: ignore[attr-defined]
    for i in range(rounds):
        q = QUESTIONS[i % len(QUESTIONS)]
        for name, enc in encoders.items():
            t = time.perf_counter()
            enc.encode([q])  # type: ignore[attr-defined]
            times[name].append(time.perf_counter() - t)
    return times


def _p50s(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: ms(pct(s, 50)) for name, s in times.items()}


def _ratio_spread(a: list[float], b: list[float], chunks: int = 5) -> list[float]:
    """Lowest and highest p50(a) ÷ p50(b) over consecutive chunks of the run: how much the ratio moved in it."""
    size = len(a) // chunks
    ratios = [pct(a[i : i + size], 50) / pct(b[i : i + size], 50) for i in range(0, size * chunks, size)]
    return [round(min(ratios), 3), round(max(ratios), 3)]


def _int8_encoder(index_dir: Path, into: Path) -> Path:
    """The index's encoder dynamically quantised to int8 (weights int8, activations quantised per call)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from bot import onnx_encoder

    into.mkdir(parents=True)
    for name in (onnx_encoder.CONFIG, onnx_encoder.TOKENIZER):
        shutil.copy(index_dir / name, into / name)
    # The quantised graph holds its (~3× smaller) weights inline. ONNX's shape inference cannot type the outputs
    # of ONNX Runtime's fused operators (Attention, EmbedLayerNormalization): they are float32.
    quantize_dynamic(
        str(index_dir / onnx_encoder.GRAPH),
        str(into / onnx_encoder.GRAPH),
        weight_type=QuantType.QInt8,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return into


def _eval_sets() -> list[Path]:
    return [ROOT / "tests" / "data" / f"{name}.jsonl" for name in ("dev", "realistic", "paraphrases")]


def _eval_scores(index_dir: Path, encoder: object) -> dict[str, str]:
    from bot.answer import Answerer
    from bot.evaluate import evaluate, read_cases
    from bot.settings import Settings

    answerer = Answerer.from_settings(Settings.from_env(index_dir=index_dir), encoder=encoder)  # type: ignore[arg-type]
    out = {}
    for path in _eval_sets():
        rep = evaluate(answerer, read_cases(path))
        out[path.name] = f"{rep.correct}/{rep.n} right, evidence {rep.evidence_hits}/{rep.evidence_n}"
    return out


def encode_floor_section(rounds: int) -> dict:
    """ONNX fp32 (1 and 2 session threads) vs the numpy encoder (1 and 2 BLAS threads) vs ONNX int8."""
    from numpy_encoder import NumpyEncoder
    from threadpoolctl import threadpool_limits

    from bot.embedding import resolve_model
    from bot.onnx_encoder import OnnxEncoder
    from bot.settings import Settings

    index_dir = Settings.from_env().index_dir
    tmp = Path(tempfile.mkdtemp(prefix="whodecides-int8-"))
    try:
        fp32, fp32_2 = OnnxEncoder(index_dir), OnnxEncoder(index_dir, threads=2)
        int8 = OnnxEncoder(_int8_encoder(index_dir, tmp / "int8-encoder"))
        numpy_enc = NumpyEncoder(resolve_model(None), blas_threads=None)
        with threadpool_limits(limits=1, user_api="blas"):
            times = _interleaved({"onnx_fp32": fp32, "numpy": numpy_enc, "onnx_int8": int8}, rounds)
        one, spread = _p50s(times), _ratio_spread(times["onnx_fp32"], times["numpy"])
        with threadpool_limits(limits=2, user_api="blas"):
            two = _p50s(_interleaved({"onnx_fp32": fp32_2, "numpy": numpy_enc}, rounds // 2))
        want, got = fp32.encode(list(QUESTIONS)), int8.encode(list(QUESTIONS))
        log("  encode floor: eval sets with fp32 and int8 …")
        evals = {}
        for name, enc in (("fp32", fp32), ("int8", int8)):
            shutil.copytree(index_dir, tmp / name / "index")  # each eval caches its rule vectors in its own copy
            evals[name] = _eval_scores(tmp / name / "index", enc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "rounds": rounds,
        "threads_1": one,
        "threads_2": two,
        "ratio_1": round(one["onnx_fp32"] / one["numpy"], 3),  # 3 places: rounding must not decide the goal
        "ratio_1_chunks": spread,  # the ratio over each fifth of the rounds: lowest, highest
        "ratio_2": round(two["onnx_fp32"] / two["numpy"], 2),
        "int8_min_cosine": round(float(np.min(np.sum(want * got, axis=1))), 4),
        "eval": evals,
        "int8_same_eval": evals["fp32"] == evals["int8"],
    }
