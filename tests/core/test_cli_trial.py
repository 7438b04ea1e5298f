"""Issue 14, a new user's trial of the CLI, through the installed console script."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CORPUS
from tests.core.test_cli import run


def test_feedback_json_with_no_feedback_prints_an_empty_json_list(tmp_path: Path) -> None:
    res = run(["feedback", "--json"], env={"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == []


def test_chat_stops_at_exit_or_quit(real_index_dir: Path) -> None:
    where = ["--corpus", str(CORPUS), "--index", str(real_index_dir)]
    alone = run(["chat", *where], stdin="who decides the price?\n")
    assert alone.returncode == 0 and "Product Manager" in alone.stdout, alone.stderr
    for word in ("exit", "  QUIT  "):
        res = run(["chat", *where], stdin=f"who decides the price?\n{word}\nwho orders the backlog?\n")
        assert res.returncode == 0, res.stderr
        # Exactly what the first question alone gives: `exit` was not answered, and nothing after it was.
        assert res.stdout == alone.stdout, f"{word!r} was answered as a question, or chat went on"


def test_a_corpus_folder_that_does_not_exist_is_named_as_missing(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    res = run(["ask", "--corpus", str(missing), "--index", str(tmp_path / "idx"), "Who decides the price?"])
    assert res.returncode == 1
    assert "does not exist" in res.stderr and str(missing) in res.stderr
    assert "empty" not in res.stderr and "Traceback" not in res.stderr
