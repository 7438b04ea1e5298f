"""The query encoder's export: a fused graph in the index, checked by the manifest, re-exported when outdated.

The export under test is the one `Index.save` made for the session's real index (tests/conftest.py), or one made
here through `onnx_encoder.export` and the real `whodecides index`.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from bot import onnx_encoder
from bot.onnx_encoder import OnnxEncoder
from tests.conftest import CORPUS
from tests.core.test_cli import run

QUESTIONS = ["Who decides the price of the enterprise tier?", "who orders the backlog", "Qui décide du prix ?"]


def _ops(folder: Path) -> Counter[str]:
    graph = onnx.load(str(folder / onnx_encoder.GRAPH), load_external_data=False).graph
    return Counter(node.op_type for node in graph.node)


def test_the_index_holds_the_fused_graph_without_skip_layer_normalization(real_index_dir: Path) -> None:
    config = json.loads((real_index_dir / onnx_encoder.CONFIG).read_text())
    assert config["format"] == onnx_encoder.FORMAT
    assert config["exporter"] == "torchscript" and config["fused"] and config["ort_optimized"]
    ops = _ops(real_index_dir)
    # MiniLM-L6: six layers, each one fused attention; the embeddings and their layer norm one kernel.
    assert ops["Attention"] == 6 and ops["EmbedLayerNormalization"] == 1
    assert ops["SkipLayerNormalization"] == 0 and ops["LayerNormalization"] == 12
    assert ops["Softmax"] == 0  # no attention left unfused
    manifest = json.loads((real_index_dir / "manifest.json").read_text())
    assert manifest["query_encoder"]["format"] == onnx_encoder.FORMAT


def test_a_changed_graph_is_caught_by_the_manifest(tmp_path: Path, real_index_dir: Path) -> None:
    folder = tmp_path / "index"
    shutil.copytree(real_index_dir, folder)
    where = ["--corpus", str(CORPUS), "--index", str(folder)]
    model = onnx.load(str(folder / onnx_encoder.GRAPH), load_external_data=False)
    norm = next(n for n in model.graph.node if n.op_type == "LayerNormalization")
    next(a for a in norm.attribute if a.name == "epsilon").f = 1e-3  # a valid graph that encodes differently
    onnx.save(model, str(folder / onnx_encoder.GRAPH))
    res = run(["ask", *where, "Who decides the price?"])
    assert res.returncode == 1
    assert "encoder.onnx does not match its manifest" in res.stderr and "whodecides index" in res.stderr
    assert "Traceback" not in res.stderr


def test_an_older_encoder_export_makes_the_index_stale_and_is_exported_again(
    tmp_path: Path, real_index_dir: Path
) -> None:
    folder = tmp_path / "index"
    shutil.copytree(real_index_dir, folder)  # copy2: sizes and mtimes kept, so an export taken over keeps them
    where = ["--corpus", str(CORPUS), "--index", str(folder)]
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["query_encoder"]["format"] = onnx_encoder.FORMAT - 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    graph_mtime = (folder / onnx_encoder.GRAPH).stat().st_mtime_ns
    res = run(["index", "--verify", *where])
    assert res.returncode == 0 and "the query encoder's export changed" in res.stdout
    res = run(["index", "--if-stale", *where])
    assert res.returncode == 0, res.stderr
    assert "Rebuilding the index: the query encoder's export changed." in res.stderr
    assert "Warning" not in res.stderr and "warn" not in res.stderr.lower()  # the exporters' notices stay inside
    after = json.loads((folder / "manifest.json").read_text())
    assert after["query_encoder"]["format"] == onnx_encoder.FORMAT
    assert (folder / onnx_encoder.GRAPH).stat().st_mtime_ns != graph_mtime  # exported, not taken over
    assert "up to date" in run(["index", "--if-stale", *where]).stdout
    got, want = OnnxEncoder(folder).encode(QUESTIONS), OnnxEncoder(real_index_dir).encode(QUESTIONS)
    assert float(np.min(np.sum(got * want, axis=1))) > 0.99999


@pytest.mark.slow
def test_without_the_torchscript_exporter_the_dynamo_export_is_used(
    tmp_path: Path, real_index_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A torch that no longer ships the deprecated TorchScript exporter still gets a right (slower) encoder."""
    import torch

    from bot.embedding import resolve_model

    export = torch.onnx.export

    def without_torchscript(*args, **kwargs):
        if kwargs.get("dynamo") is False:
            raise RuntimeError("the TorchScript exporter was removed")
        return export(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", without_torchscript)
    config = onnx_encoder.export(resolve_model(None), tmp_path)
    assert config["exporter"] == "dynamo" and "dynamo exporter" in caplog.text
    assert config["min_probe_cosine"] >= onnx_encoder.MIN_COSINE and config["ort_optimized"]
    assert _ops(tmp_path)["SkipLayerNormalization"] == 0
    assert not list(tmp_path.glob(".*"))  # no work folder left behind
    got, want = OnnxEncoder(tmp_path).encode(QUESTIONS), OnnxEncoder(real_index_dir).encode(QUESTIONS)
    assert float(np.min(np.sum(got * want, axis=1))) > 0.99999
