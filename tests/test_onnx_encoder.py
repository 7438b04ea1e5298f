"""The ONNX query encoder must give sentence-transformers' vectors (cosine ≥ 0.999) without importing torch.

The encoder under test is the one `whodecides index` exported into the session's real index (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bot import onnx_encoder
from bot.errors import WhodecidesError
from bot.onnx_encoder import OnnxEncoder
from tests.conftest import ROOT

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
def encoder(real_index_dir: Path) -> OnnxEncoder:
    return OnnxEncoder(real_index_dir)


def test_export_is_stored_in_the_index_with_a_content_hash(real_index_dir: Path) -> None:
    manifest = json.loads((real_index_dir / "manifest.json").read_text())
    for name in onnx_encoder.FILES:
        size, _, sha256 = manifest["files"][name]
        assert (real_index_dir / name).stat().st_size == size and len(sha256) == 64
    assert manifest["query_encoder"]["min_probe_cosine"] >= onnx_encoder.MIN_COSINE
    assert manifest["query_encoder"]["dim"] == 384


def test_shape_dtype_and_unit_norm(encoder: OnnxEncoder) -> None:
    vectors = encoder.encode(TEXTS, batch_size=7)
    assert vectors.shape == (len(TEXTS), encoder.dim)
    assert vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_list_gives_empty_matrix(encoder: OnnxEncoder) -> None:
    vectors = encoder.encode([])
    assert vectors.shape == (0, encoder.dim)
    assert vectors.dtype == np.float32


def test_a_bare_string_is_refused(encoder: OnnxEncoder) -> None:
    with pytest.raises(TypeError):
        encoder.encode("who decides?")  # type: ignore[arg-type]


def test_any_batch_size_and_padding_give_the_same_vectors(encoder: OnnxEncoder) -> None:
    one_by_one = np.vstack([encoder.encode([t]) for t in TEXTS])
    for batch_size in (2, 16, 64):  # mixed lengths → padded batches of several shapes
        np.testing.assert_allclose(encoder.encode(TEXTS, batch_size=batch_size), one_by_one, atol=2e-5)


def test_concurrent_encodes_match_serial_ones(encoder: OnnxEncoder) -> None:
    assert encoder.thread_safe
    serial = [encoder.encode([t]) for t in TEXTS]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda t: encoder.encode([t]), TEXTS))
    for want, got in zip(serial, parallel, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_threads_are_the_sessions_own(real_index_dir: Path) -> None:
    two = OnnxEncoder(real_index_dir, threads=2)
    assert two._session.get_session_options().intra_op_num_threads == 2
    one = OnnxEncoder(real_index_dir)
    assert one._session.get_session_options().intra_op_num_threads == 1
    np.testing.assert_allclose(one.encode(TEXTS[:12]), two.encode(TEXTS[:12]), atol=1e-5)


def test_long_input_is_truncated_to_max_seq_length(encoder: OnnxEncoder) -> None:
    assert encoder.max_seq_length == 256
    a, b = encoder.encode([LONG, LONG + " tail words past the limit"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_different_questions_get_different_vectors(encoder: OnnxEncoder) -> None:
    price, backlog, price_caps = encoder.encode(
        ["who decides the price?", "who orders the sprint backlog?", "WHO DECIDES THE PRICE?"]
    )
    assert float(price @ price_caps) > 0.999  # the tokenizer lower-cases
    assert float(price @ backlog) < 0.9


def test_a_damaged_export_is_a_clear_error(real_index_dir: Path, tmp_path: Path) -> None:
    for name in onnx_encoder.FILES:
        (tmp_path / name).write_bytes((real_index_dir / name).read_bytes())
    (tmp_path / onnx_encoder.GRAPH).write_bytes(b"not an onnx graph")
    with pytest.raises(WhodecidesError, match=r"cannot be loaded.*whodecides index"):
        OnnxEncoder(tmp_path)


def test_the_query_path_imports_neither_torch_nor_sentence_transformers(real_index_dir: Path) -> None:
    """A cold `ask`'s path: load the index, open its encoder, encode a question, search."""
    code = (
        "import sys; from bot.index import Index; "
        f"index = Index.load({str(real_index_dir)!r}); enc = index.query_encoder(); "
        "from bot.retrieval import Retriever; hits = Retriever(index, enc).search('who orders the backlog', 3); "
        "assert len(hits) == 3 and type(enc).__name__ == 'OnnxEncoder'; "
        "heavy = ('torch', 'transformers', 'sentence_transformers', 'scipy', 'bm25s'); "
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_matches_sentence_transformers(encoder: OnnxEncoder) -> None:
    from sentence_transformers import SentenceTransformer

    from bot.embedding import resolve_model

    reference = SentenceTransformer(resolve_model(None), device="cpu")
    assert reference.max_seq_length == encoder.max_seq_length
    want = reference.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, batch_size=8)
    got = encoder.encode(TEXTS, batch_size=5)
    cosines = np.sum(want * got, axis=1) / (np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1))
    worst = int(np.argmin(cosines))
    assert len(TEXTS) >= 50
    assert cosines.min() >= 0.999, f"cosine {cosines.min():.5f} for {TEXTS[worst][:60]!r}"
    # Not just aligned: the same vectors (no drift in scale or sign).
    np.testing.assert_allclose(got, want, atol=2e-3)


def _prepacks(enc: OnnxEncoder) -> bool:
    try:
        return enc._session.get_session_options().get_session_config_entry("session.disable_prepacking") != "1"
    except RuntimeError:  # never set: ONNX Runtime's default, prepacking on
        return True


def test_a_one_shot_encoder_skips_prepacking_and_gives_the_same_vectors(real_index_dir: Path, encoder) -> None:
    one_shot = OnnxEncoder(real_index_dir, prepack=False)
    assert not _prepacks(one_shot) and _prepacks(encoder)
    got, want = one_shot.encode(TEXTS), encoder.encode(TEXTS)
    assert float(np.min(np.sum(got * want, axis=1))) > 0.99999


def test_only_a_one_shot_runtime_opens_a_one_shot_encoder(real_settings) -> None:
    from bot.runtime import build_runtime

    assert build_runtime(real_settings, one_shot=True).answerer.encoder.prepack is False
    assert build_runtime(real_settings).answerer.encoder.prepack is True
