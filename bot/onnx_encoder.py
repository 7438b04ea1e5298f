"""The query encoder: the sentence-transformers model exported to ONNX at index time, run by ONNX Runtime.

`whodecides index` exports the model with the installed torch (`export`, which imports torch and
sentence-transformers) into the index folder: the graph, its weights (a separate file, which ONNX Runtime
memory-maps, so a session opens in ~0.05 s instead of ~0.15 s), the tokenizer and a small config. Attention is
eager, so the graph takes any batch size and length. The export is checked against sentence-transformers on
probe texts before it is accepted.

The query path (`OnnxEncoder`) imports only onnxruntime, tokenizers and numpy. Threads are the session's own
(`intra_op_num_threads`), never a process-wide cap.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.errors import WhodecidesError

log = logging.getLogger(__name__)

GRAPH = "encoder.onnx"
WEIGHTS = "encoder.onnx.data"  # the name the graph refers to: do not rename one without the other
TOKENIZER = "encoder.tokenizer.json"
CONFIG = "encoder.json"
FILES = (GRAPH, WEIGHTS, TOKENIZER, CONFIG)
FORMAT = 1
MIN_COSINE = 0.999  # an export that strays further from sentence-transformers is refused
PROBES = (
    "Who decides the price of the enterprise tier, the PO or the PM?",
    "who orders the backlog",
    "",
    "Qui décide du prix ? 🙂",
    "The Product Manager owns the business case, the pricing and the roadmap; the Product Owner orders the "
    "backlog and accepts the work of the team in every sprint. " * 12,  # past max_seq_length: truncated
)


class OnnxEncoder:
    """Encode texts like SentenceTransformer(model).encode(texts, normalize_embeddings=True).

    Thread-safe: ONNX Runtime allows concurrent `run` calls on one session and the tokenizer is not mutated.
    fp32 only: int8 quantisation changes the eval sets' scores (the README's Performance section).
    """

    thread_safe = True

    def __init__(self, folder: Path, *, threads: int = 1, prepack: bool = True) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        try:
            config = json.loads((folder / CONFIG).read_text())
            self.dim: int = int(config["dim"])
            self.max_seq_length: int = int(config["max_seq_length"])
            self._lower = bool(config["do_lower_case"])
            self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
            self._tokenizer.enable_truncation(max_length=self.max_seq_length)
            self._tokenizer.enable_padding(pad_id=int(config["pad_id"]), pad_token=str(config["pad_token"]))
            opts = _session_options(ort, threads)
            if config.get("ort_optimized"):  # optimised at export: opening skips that work
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            if not prepack:
                # Re-laying the weights out for the matmul kernels takes ~40 ms of opening and makes each run
                # ~1.7× faster: worth it from the second question on, not for one question (`whodecides ask`).
                opts.add_session_config_entry("session.disable_prepacking", "1")
            self._session = ort.InferenceSession(str(folder / GRAPH), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph, json ValueError, ...
            raise WhodecidesError(
                f"The query encoder in {folder} cannot be loaded ({type(exc).__name__}: {str(exc)[:200]}). "
                "Rebuild the index with `whodecides index`."
            ) from exc
        self.folder = folder
        self.threads = threads
        self.prepack = prepack

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """float32 (len(texts), dim), rows L2-normalised. Batches are length-sorted to pad little."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings; wrap a single string in a list")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        prepared = [str(t).strip() for t in texts]
        if self._lower:
            prepared = [t.lower() for t in prepared]
        order = sorted(range(len(prepared)), key=lambda i: -len(prepared[i]))
        for start in range(0, len(order), max(1, batch_size)):
            rows = order[start : start + batch_size]
            out[rows] = self._run([prepared[i] for i in rows])
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return vectors

    def __repr__(self) -> str:
        return f"OnnxEncoder({str(self.folder)!r}, dim={self.dim}, threads={self.threads})"


def _session_options(ort, threads: int):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    opts.inter_op_num_threads = 1
    # Idle workers spinning for work would steal the other core from concurrent answers on a 2-core machine.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3  # errors only: no warnings printed in front of users
    return opts


def is_exportable(model: str) -> bool:
    """A sentence-transformers model folder (a name from the hub is not fetched: weights stay offline)."""
    return (Path(model) / "config.json").is_file()


def export(model: str, folder: Path) -> dict[str, object]:
    """Export `model` into `folder` (the FILES), check it against sentence-transformers, return its config."""
    st = _load_sentence_transformer(model)
    folder = Path(folder)
    tokenizer = st.tokenizer
    config: dict[str, object] = {
        "format": FORMAT,
        "dim": int((getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension)()),
        "max_seq_length": int(st.max_seq_length),
        "do_lower_case": bool(getattr(st[0], "do_lower_case", False)),
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": str(tokenizer.pad_token or "[PAD]"),
    }
    backend = tokenizer.backend_tokenizer
    backend.no_padding()
    backend.no_truncation()  # OnnxEncoder sets both per its config
    (folder / TOKENIZER).write_text(backend.to_str())
    (folder / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    _export_graph(st, folder)
    config["fused"] = _fuse(folder)
    reference = st.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    cosine = _min_cosine(folder, reference)
    if cosine < MIN_COSINE and config["fused"]:
        log.warning("the fused ONNX graph strays from sentence-transformers (cosine %.5f); using the plain one", cosine)
        _export_graph(st, folder)
        config["fused"] = False
        cosine = _min_cosine(folder, reference)
    if cosine < MIN_COSINE:
        raise WhodecidesError(f"The ONNX export of {model} does not reproduce its vectors (cosine {cosine:.5f}).")
    config["min_probe_cosine"] = round(float(cosine), 6)
    config["ort_optimized"] = _ort_optimize(folder, config, reference)
    (folder / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    return config


def _ort_optimize(folder: Path, config: dict[str, object], reference: np.ndarray) -> bool:
    """Save ONNX Runtime's own graph optimisations into the graph, so a session opens without redoing them
    (about half the session's start). EXTENDED, not ALL: ALL adds layout changes for this machine's CPU only."""
    import onnxruntime as ort

    work = folder / ".ortopt"
    work.mkdir(exist_ok=True)
    opts = _session_options(ort, 1)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    opts.optimized_model_filepath = str(work / GRAPH)
    opts.add_session_config_entry("session.optimized_model_external_initializers_file_name", WEIGHTS)
    opts.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
    try:
        ort.InferenceSession(str(folder / GRAPH), opts, providers=["CPUExecutionProvider"])
        for name in (GRAPH, WEIGHTS):
            os.replace(work / name, folder / name)
        (folder / CONFIG).write_text(json.dumps({**config, "ort_optimized": True}, indent=2) + "\n")
        cosine = _min_cosine(folder, reference)
    except Exception as exc:  # noqa: BLE001 - the unoptimised graph is right, only slower to open
        log.warning("ONNX Runtime's optimisations not saved (%s: %s)", type(exc).__name__, exc)
        return False
    finally:
        for leftover in work.glob("*"):
            leftover.unlink()
        work.rmdir()
    if cosine < MIN_COSINE:
        raise WhodecidesError(f"ONNX Runtime's optimised graph strays from sentence-transformers ({cosine:.5f}).")
    return True


def _load_sentence_transformer(model: str):
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        # Eager attention: the exported graph then has no shape-specialised fast path and takes any batch/length.
        return SentenceTransformer(model, device="cpu", model_kwargs={"attn_implementation": "eager"}).eval()
    except Exception as exc:
        raise WhodecidesError(f"Could not load the embedding model {model!r} to export it: {exc}") from exc


def _torch_module(st):
    """input_ids, attention_mask → L2-normalised sentence vectors, as one module for the exporter."""
    import torch

    class SentenceVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask):
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            features["token_type_ids"] = torch.zeros_like(input_ids)
            vectors = self.st(features)["sentence_embedding"]
            return torch.nn.functional.normalize(vectors, p=2.0, dim=1)

    return SentenceVectors().eval()


def _export_graph(st, folder: Path) -> None:
    import torch

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    ids = torch.tensor([[101, 2040, 7288, 102, 0], [101, 2040, 7288, 1996, 102]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=st.max_seq_length)
    shapes = {"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}}
    # The exporter prints its steps and warns about axis names and deprecations: none of it is for users.
    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            _torch_module(st),
            (ids, mask),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_vector"],
            dynamic_shapes=shapes,
            dynamo=True,
            verbose=False,
        )
    program.save(str(folder / GRAPH), external_data=True)
    _check_weights_name(folder)


def _check_weights_name(folder: Path) -> None:
    if not (folder / WEIGHTS).is_file():
        raise WhodecidesError(f"The ONNX exporter did not write its weights to {WEIGHTS} as expected.")


def _fuse(folder: Path) -> bool:
    """ONNX Runtime's fused attention, layer-norm and GELU kernels (onnxscript's rewriter): ~10% faster here."""
    try:
        import onnx_ir as ir
        from onnxscript.rewriter.ort_fusions import optimize_for_ort

        model, _ = optimize_for_ort(ir.load(str(folder / GRAPH)))
        fused = folder / ".fused"
        fused.mkdir(exist_ok=True)
        ir.save(model, str(fused / GRAPH), external_data=WEIGHTS)  # reads the weights from the plain graph's file
        for name in (GRAPH, WEIGHTS):
            os.replace(fused / name, folder / name)
        fused.rmdir()
        return True
    except Exception as exc:  # noqa: BLE001 - an unknown architecture: the plain graph is still right
        log.warning("ONNX fusions skipped (%s: %s)", type(exc).__name__, exc)
        return False


def _min_cosine(folder: Path, reference: np.ndarray) -> float:
    encoder = OnnxEncoder(folder)
    got = np.vstack([encoder.encode(list(PROBES)), encoder.encode(list(PROBES), batch_size=1)])
    want = np.vstack([reference, reference])
    return float(np.min(np.sum(got * want, axis=1)))
