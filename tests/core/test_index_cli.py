"""`whodecides index --verify` and `--if-stale` on damaged indexes, through the real entry point."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.conftest import CORPUS
from tests.core.test_cli import run


def _flip_a_byte_keeping_size_and_mtime(path: Path) -> None:
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x55
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_verify_checks_every_files_content_and_names_the_bad_one(tmp_path: Path, real_index_dir: Path) -> None:
    folder = tmp_path / "index"
    shutil.copytree(real_index_dir, folder)
    where = ["--corpus", str(CORPUS), "--index", str(folder)]
    res = run(["index", "--verify", *where])
    assert res.returncode == 0, res.stderr
    assert "is intact" in res.stdout and "stale" not in res.stdout
    _flip_a_byte_keeping_size_and_mtime(folder / "encoder.onnx.data")
    res = run(["index", "--verify", *where])
    assert res.returncode == 1
    assert "encoder.onnx.data does not match its manifest" in res.stderr and "whodecides index" in res.stderr
    assert "Traceback" not in res.stderr
    res = run(["index", "--verify", "--corpus", str(CORPUS), "--index", str(tmp_path / "none")])
    assert res.returncode == 1 and "No index" in res.stderr


def test_if_stale_rebuilds_a_corrupt_index_and_keeps_the_intact_encoder_export(
    tmp_path: Path, real_index_dir: Path
) -> None:
    folder = tmp_path / "index"
    shutil.copytree(real_index_dir, folder)  # copy2: sizes and mtimes kept
    where = ["--corpus", str(CORPUS), "--index", str(folder)]
    before = json.loads((folder / "manifest.json").read_text())
    (folder / "chunks.jsonl").write_text("garbage\n")
    res = run(["ask", *where, "Who decides the price?"])
    assert res.returncode == 1 and "chunks.jsonl does not match its manifest" in res.stderr
    res = run(["index", "--if-stale", *where])
    assert res.returncode == 0, res.stderr
    assert "Rebuilding the index: The index in" in res.stderr and "chunks.jsonl" in res.stderr
    after = json.loads((folder / "manifest.json").read_text())
    assert after["built_at"] > before["built_at"]
    assert after["files"]["encoder.onnx.data"] == before["files"]["encoder.onnx.data"]  # taken over, not re-exported
    assert run(["index", "--verify", *where]).returncode == 0
    res = run(["ask", "--json", *where, "Who decides the price?"])
    assert res.returncode == 0 and json.loads(res.stdout)["recommendation"] == "PM"
