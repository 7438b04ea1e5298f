"""The query encoder: the sentence-transformers model exported to ONNX at index time, run by ONNX Runtime.

`whodecides index` exports the model with the installed torch (`export`, which imports torch and
sentence-transformers) into the index folder: the graph, its weights (a separate file, which ONNX Runtime
memory-maps, so a session opens in ~0.05 s instead of ~0.15 s), the tokenizer and a small config. Attention is
eager, so the graph takes any batch size and length. The graph is then fused by ONNX Runtime's transformer
optimizer and by ONNX Runtime's own optimisations, both saved into the file (`_fuse`, `_ort_optimize`). The
export is checked against sentence-transformers on probe texts before it is accepted.

The query path (`OnnxEncoder`) imports only onnxruntime, tokenizers and numpy. Threads are the session's own
(`intra_op_num_threads`), never a process-wide cap.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
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
FORMAT = 2  # 2: TorchScript export, ONNX Runtime's fused attention, no SkipLayerNormalization
MIN_COSINE = 0.999  # an export that strays further from sentence-transformers is refused
# ONNX Runtime's CPU SkipLayerNormalization kernel takes ~40 µs for a short question where the Adds and the
# LayerNormalization it replaces take ~8 µs: without its 12 calls a warm encode is ~13% faster (benchmarks/NOTES.md).
SLOW_FUSIONS = ("SkipLayerNormFusion",)
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
            self._session = ort.InferenceSession(
                str(folder / GRAPH), opts, providers=["CPUExecutionProvider"], disabled_optimizers=list(SLOW_FUSIONS)
            )
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
    config["exporter"] = _export_graph(st, folder)
    config["fused"] = _fuse(folder, st)
    reference = st.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    cosine = _min_cosine(folder, reference)
    if cosine < MIN_COSINE and config["fused"]:
        log.warning("the fused ONNX graph strays from sentence-transformers (cosine %.5f); using the plain one", cosine)
        config["exporter"] = _export_graph(st, folder)
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
    (about half the session's start). EXTENDED, not ALL: ALL adds layout changes for this machine's CPU only.
    The SLOW_FUSIONS stay off here too, or this step would bring SkipLayerNormalization back."""
    import onnxruntime as ort

    work = folder / ".ortopt"
    work.mkdir(exist_ok=True)
    opts = _session_options(ort, 1)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    opts.optimized_model_filepath = str(work / GRAPH)
    opts.add_session_config_entry("session.optimized_model_external_initializers_file_name", WEIGHTS)
    opts.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
    try:
        ort.InferenceSession(
            str(folder / GRAPH), opts, providers=["CPUExecutionProvider"], disabled_optimizers=list(SLOW_FUSIONS)
        )
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


def _export_graph(st, folder: Path) -> str:
    """The plain graph and its weights into `folder`; returns the exporter used."""
    try:
        _export_torchscript(st, folder)
        return "torchscript"
    except Exception as exc:  # noqa: BLE001 - a torch without the TorchScript exporter: the dynamo one is right too
        log.warning("TorchScript ONNX export failed (%s: %s); using the dynamo exporter", type(exc).__name__, exc)
        _export_dynamo(st, folder)
        return "dynamo"


def _example_inputs() -> tuple:
    import torch

    ids = torch.tensor([[101, 2040, 7288, 102, 0], [101, 2040, 7288, 1996, 102]], dtype=torch.int64)
    return ids, (ids != 0).to(torch.int64)


def _export_torchscript(st, folder: Path) -> None:
    """torch's TorchScript exporter, which torch deprecates in favour of the dynamo one (`_export_dynamo`) but
    still ships, and which Optimum and ONNX Runtime's own BERT tooling use. Chosen on measurement: ONNX
    Runtime's transformer optimizer recognises BERT's attention and embeddings in this graph, not in the dynamo
    export, and in the benchmark's setting the result encodes a question ~5% faster than the dynamo export
    without SkipLayerNormalization (benchmarks/NOTES.md, "Encode floor")."""
    import torch

    raw = folder / ".torchscript" / GRAPH
    raw.parent.mkdir(exist_ok=True)
    try:
        # Its deprecation notice and tracer warnings (about branches on shapes, which hold for every input here:
        # the probes check) are not for users.
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _torch_module(st),
                _example_inputs(),
                str(raw),
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_vector"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "length"},
                    "attention_mask": {0: "batch", 1: "length"},
                    "sentence_vector": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
        _save_with_weights_apart(_onnx_load(raw), folder)
    finally:
        shutil.rmtree(raw.parent, ignore_errors=True)


def _export_dynamo(st, folder: Path) -> None:
    import torch

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=st.max_seq_length)
    shapes = {"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}}
    # The exporter prints its steps and warns about axis names and deprecations: none of it is for users.
    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            _torch_module(st),
            _example_inputs(),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_vector"],
            dynamic_shapes=shapes,
            dynamo=True,
            verbose=False,
        )
    program.save(str(folder / GRAPH), external_data=True)
    _check_weights_name(folder)


def _onnx_load(path: Path):
    import onnx

    return onnx.load(str(path))


def _save_with_weights_apart(model, folder: Path) -> None:
    """GRAPH and its weights in WEIGHTS, which ONNX Runtime memory-maps."""
    import onnx

    (folder / WEIGHTS).unlink(missing_ok=True)  # onnx appends to an existing weights file
    onnx.save_model(
        model, str(folder / GRAPH), save_as_external_data=True, all_tensors_to_one_file=True, location=WEIGHTS
    )
    _check_weights_name(folder)


def _check_weights_name(folder: Path) -> None:
    if not (folder / WEIGHTS).is_file():
        raise WhodecidesError(f"The ONNX exporter did not write its weights to {WEIGHTS} as expected.")


def _fuse(folder: Path, st) -> bool:
    """ONNX Runtime's transformer optimizer: BERT's attention (one QKV matmul per layer), embeddings + layer norm
    and bias + GELU become single fused kernels. Not SkipLayerNormalization (SLOW_FUSIONS)."""
    try:
        from onnxruntime.transformers.fusion_options import FusionOptions
        from onnxruntime.transformers.optimizer import optimize_model

        options = FusionOptions("bert")
        options.enable_skip_layer_norm = False
        config = st[0].auto_model.config
        with contextlib.redirect_stdout(io.StringIO()):  # it prints shape-inference failures it recovers from
            optimized = optimize_model(
                str(folder / GRAPH),
                model_type="bert",
                num_heads=int(getattr(config, "num_attention_heads", 0)),  # 0: read from the graph
                hidden_size=int(getattr(config, "hidden_size", 0)),
                optimization_options=options,
                opt_level=0,  # its fusions only: ONNX Runtime's own run in _ort_optimize
            )
        _save_with_weights_apart(optimized.model, folder)
        return True
    except Exception as exc:  # noqa: BLE001 - an unknown architecture: the plain graph is still right
        log.warning("ONNX fusions skipped (%s: %s)", type(exc).__name__, exc)
        return False


def _min_cosine(folder: Path, reference: np.ndarray) -> float:
    encoder = OnnxEncoder(folder)
    got = np.vstack([encoder.encode(list(PROBES)), encoder.encode(list(PROBES), batch_size=1)])
    want = np.vstack([reference, reference])
    return float(np.min(np.sum(got * want, axis=1)))
