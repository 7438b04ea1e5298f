"""The PostgreSQL harness never lets a test pass silently when the server binaries are missing."""

from __future__ import annotations

import pytest

import tests.fakes.postgres as harness


def test_missing_binaries_skip_loudly(monkeypatch, capsys):
    monkeypatch.setattr(harness, "find_bin_dir", lambda: None)
    with pytest.raises(pytest.skip.Exception) as skipped:
        harness.start_postgres()
    assert "LOUD SKIP" in str(skipped.value.msg)
    assert "make postgres" in str(skipped.value.msg)
    assert "WARNING: SKIPPING PostgreSQL" in capsys.readouterr().err


def test_binaries_are_found_in_pg_bin_dir(monkeypatch, tmp_path):
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PG_BIN_DIR", str(tmp_path))
    assert harness.find_bin_dir() == tmp_path
