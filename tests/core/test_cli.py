"""The CLI through its real entry point (the installed console script, and python -m bot)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT

SCRIPT = Path(sys.executable).parent / "whodecides"
FIELDS = ["question", "recommendation", "confidence", "consulted", "rationale", "rules", "passages"]


def run(args: list[str], *, stdin: str = "", env: dict[str, str] | None = None, module: bool = False):
    cmd = [sys.executable, "-m", "bot", *args] if module else [str(SCRIPT), *args]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WHODECIDES_"))}
    full_env.update({"HF_HUB_OFFLINE": "1", "CLIENT_ID": "", "CLIENT_SECRET": "", "TENANT_ID": ""})
    full_env.update(env or {})
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def where(real_index_dir: Path) -> list[str]:
    return ["--corpus", str(CORPUS), "--index", str(real_index_dir)]


def test_ask_json_reads_stdin_and_keeps_order_and_fields(where: list[str]) -> None:
    questions = ["Who decides the price?", "", "Who orders the product backlog?", "What's the weather in Paris?"]
    res = run(["ask", "--json", *where], stdin="\n".join(questions) + "\n")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert [r["recommendation"] for r in rows] == ["PM", "UNKNOWN", "PO", "UNKNOWN"]
    for r in (rows[0], rows[2]):
        assert list(r)[: len(FIELDS)] == FIELDS  # the contract first; engine v2 adds fields after it
        assert len(r["passages"]) >= 3 and r["rules"] and 0 < r["confidence"] <= 1
        assert set(r["passages"][0]) == {"text", "title", "source", "section", "score"}
    assert rows[1]["error"] == "usage"
    assert "Traceback" not in res.stderr


def test_ask_prints_a_readable_answer(where: list[str]) -> None:
    res = run(["ask", *where, "Who decides which programming language the team uses?"])
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("The Development Team decides.")
    assert "Sources:" in res.stdout and "[1]" in res.stdout and "Rules: team-how" in res.stdout


def test_python_dash_m_bot_is_the_same_cli(where: list[str]) -> None:
    res = run(["ask", "--json", *where, "Who owns the roadmap?"], module=True)
    assert res.returncode == 0 and json.loads(res.stdout)["recommendation"] == "PM"


def test_blank_question_prints_usage_and_exits_2(where: list[str]) -> None:
    res = run(["ask", *where, "   "])
    assert res.returncode == 2 and "Ask me who should decide" in res.stderr and res.stdout == ""


def test_no_command_prints_help() -> None:
    res = run([])
    assert res.returncode == 2 and "ask" in res.stderr and "eval" in res.stderr


def test_eval_prints_accuracy_confusion_recall_and_misses(where: list[str], tmp_path: Path) -> None:
    f = tmp_path / "set.jsonl"
    f.write_text(
        '{"q": "Who decides the price?", "expect": "PM", "evidence": ["pricing analysis"]}\n'
        '{"q": "Who writes user stories?", "expect": "PM", "evidence": []}\n'
    )
    res = run(["eval", *where, str(f)])
    assert res.returncode == 0, res.stderr
    assert "accuracy: 0.500 (1/2)" in res.stdout
    assert "evidence recall@3: 1.000 (1/1)" in res.stdout
    assert "confusion matrix" in res.stdout and "Who writes user stories?  (expected PM, got PO)" in res.stdout


def test_eval_of_a_bad_file_is_a_clear_error(where: list[str], tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text("not json\n")
    res = run(["eval", *where, str(f)])
    assert res.returncode == 1 and "bad.jsonl:1" in res.stderr and "Traceback" not in res.stderr


def test_index_rebuilds_with_progress_and_if_stale_skips(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    folder = tmp_path / "index"
    res = run(["index", "--corpus", str(corpus), "--index", str(folder)])
    assert res.returncode == 0, res.stderr
    assert "Indexed" in res.stdout and "Embedding chunks" in res.stderr  # the progress bar
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["n_chunks"] > 50 and manifest["dim"] == 384
    assert "up to date" in run(["index", "--if-stale", "--corpus", str(corpus), "--index", str(folder)]).stdout
    (corpus / "charter.md").write_text("# Our charter\n\nThe PO decides the colour of every button.\n")
    res = run(["index", "--if-stale", "--corpus", str(corpus), "--index", str(folder)])
    assert "the corpus changed" in res.stderr and "Indexed" in res.stdout


def test_ask_rebuilds_a_stale_index_and_uses_a_users_document(tmp_path: Path, real_index_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    folder = tmp_path / "index"
    shutil.copytree(real_index_dir, folder)
    (corpus / "charter.md").write_text(
        "---\ntitle: ACME role charter\nsource: ACME wiki\n---\n\n# Pricing at ACME\n\n"
        "At ACME the pricing committee reviews every pricing analysis the Product Manager prepares.\n"
    )
    res = run(["ask", "--json", "--corpus", str(corpus), "--index", str(folder), "Who decides pricing?"])
    assert res.returncode == 0, res.stderr
    assert "building the index (the corpus changed)" in res.stderr
    titles = [p["title"] for p in json.loads(res.stdout)["passages"]]
    assert "ACME role charter" in titles


def test_empty_corpus_and_corrupt_index_are_clear_errors(tmp_path: Path, real_index_dir: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run(["ask", "--corpus", str(empty), "--index", str(tmp_path / "idx"), "Who decides the price?"])
    assert res.returncode == 1 and "is empty" in res.stderr and "Traceback" not in res.stderr
    broken = tmp_path / "broken"
    shutil.copytree(real_index_dir, broken)
    (broken / "vectors.faiss").write_bytes(b"garbage")
    res = run(["ask", "--corpus", str(CORPUS), "--index", str(broken), "Who decides the price?"])
    assert res.returncode == 1 and "corrupt" in res.stderr and "whodecides index" in res.stderr
    assert "Traceback" not in res.stderr


def test_org_rules_from_env_and_explicit_flag_beats_env(where: list[str], tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        "rules:\n  - id: pm-pricing\n    owner: PO\n    consulted: [Finance]\n"
        "    rationale: Here the PO prices.\n    triggers: [price]\n"
        # A citation must quote the corpus (issue #11: a rules file that does not is refused at load).
        "    citations: [{doc: practitioner-take.md, quote: pricing analysis}]\n"
    )
    res = run(["ask", "--json", *where, "Who decides the price?"], env={"WHODECIDES_RULES": str(org)})
    assert json.loads(res.stdout)["recommendation"] == "PO"
    bad = tmp_path / "missing.yaml"
    res = run(
        ["ask", "--json", *where, "--rules", str(org), "Who decides the price?"], env={"WHODECIDES_RULES": str(bad)}
    )
    assert res.returncode == 0 and json.loads(res.stdout)["recommendation"] == "PO"


def test_chat_answers_each_piped_line_and_exits_at_end_of_input(where: list[str]) -> None:
    res = run(["chat", *where], stdin="who decides the price?\n\nwho writes the user stories?\n")
    assert res.returncode == 0, res.stderr
    assert "The Product Manager decides." in res.stdout and "The Product Owner decides." in res.stdout


def test_run_without_credentials_is_the_local_chat(where: list[str]) -> None:
    res = run(["run", *where], stdin="who decides the price?\n")
    assert res.returncode == 0 and "The Product Manager decides." in res.stdout


def test_run_with_half_a_slack_configuration_says_what_is_missing(where: list[str]) -> None:
    res = run(["run", *where], stdin="", env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert res.returncode == 1 and "SLACK_SIGNING_SECRET" in res.stderr and "Traceback" not in res.stderr


def test_feedback_report_reads_what_the_stores_wrote(tmp_path: Path) -> None:
    from bot.store import FeedbackStore, make_engine, upgrade_schema

    url = f"sqlite:///{tmp_path / 'fb.db'}"
    assert run(["feedback"], env={"DATABASE_URL": url}).stdout.strip() == "No feedback yet."
    store = FeedbackStore(make_engine(url))
    upgrade_schema(store.engine)
    for platform, vote in (("slack", "up"), ("slack", "up"), ("teams", "down")):
        assert store.record(platform=platform, user_id="U1", question="Who prices?", recommendation="PM", vote=vote)
    res = run(["feedback"], env={"DATABASE_URL": url})
    assert res.returncode == 0 and "Feedback: 2 👍, 1 👎" in res.stdout
    rows = [json.loads(line) for line in run(["feedback", "--json"], env={"DATABASE_URL": url}).stdout.splitlines()]
    assert {"platform": "slack", "recommendation": "PM", "vote": "up", "count": 2} in rows
    assert {"platform": "teams", "recommendation": "PM", "vote": "down", "count": 1} in rows
    # Why the 👎 were given (Slack's modal, Teams' feedback loop), and what people wrote.
    assert store.record(
        platform="slack", user_id="U2", question="Who prices?", recommendation="PM", vote="down", answer_id="a9"
    )
    assert store.add_reason(
        platform="slack", workspace=None, user_id="U2", answer_id="a9", reason="wrong_role", comment="the PO does"
    )
    res = run(["feedback"], env={"DATABASE_URL": url})
    assert "Why 👎:" in res.stdout
    assert [line.split() for line in res.stdout.splitlines() if "wrong_role" in line and "[" not in line] == [
        ["slack", "wrong_role", "1"]
    ]
    assert "[slack, wrong_role] Who prices? — the PO does" in res.stdout
    rows = [json.loads(line) for line in run(["feedback", "--json"], env={"DATABASE_URL": url}).stdout.splitlines()]
    assert {"platform": "slack", "reason": "wrong_role", "count": 1} in rows
    assert {"platform": "slack", "reason": "wrong_role", "question": "Who prices?", "comment": "the PO does"} in rows
    bad = run(["feedback"], env={"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert bad.returncode == 1 and "Cannot read feedback" in bad.stderr and "Traceback" not in bad.stderr
