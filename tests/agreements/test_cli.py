"""`whodecides agreements list|add|remove|export` and `ask --scope`, through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.core.test_cli import run


@pytest.fixture
def env(tmp_path: Path, real_index_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'memory.db'}",
        "WHODECIDES_CORPUS": str(CORPUS),
        "WHODECIDES_INDEX": str(real_index_dir),
    }


SLACK = "slack:T0001:C0001"
TEAMS = "teams:72f988bf-0000-4000-8000-00000000abcd:19:general0channel@thread.tacv2"


def ok(args: list[str], env: dict[str, str]) -> str:
    res = run(args, env=env)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_add_list_remove_and_the_answer_in_scope(env: dict[str, str]) -> None:
    said = ok(["agreements", "add", "--scope", SLACK, "--by", "U0DANA", "PO", "the", "release", "date"], env)
    assert said.strip() == "@U0DANA recorded: in this channel, the Product Owner decides the release date."
    ok(["agreements", "add", "--scope", SLACK, "--workspace", "TEAM", "which database we use"], env)
    ok(["agreements", "add", "--scope", TEAMS, "SHARED", "the release date"], env)
    listed = ok(["agreements", "list", "--scope", SLACK], env)
    assert "1. channel: the Product Owner decides the release date" in listed
    assert "2. workspace: the Development Team decides which database we use" in listed
    assert "together" not in listed  # the Teams agreement is not this workspace's

    data = json.loads(ok(["ask", "--json", "--scope", SLACK, "who decides the release date?"], env))
    assert data["recommendation"] == "PO"
    assert {k: data["agreement"][k] for k in ("owner", "decision", "scope", "recorded_by")} == {
        "owner": "PO", "decision": "the release date", "scope": SLACK, "recorded_by": "U0DANA"
    }  # fmt: skip
    teams = json.loads(ok(["ask", "--json", "--scope", TEAMS, "who decides the release date?"], env))
    assert teams["recommendation"] == "SHARED" and teams["agreement"]["scope"] == TEAMS
    other = json.loads(ok(["ask", "--json", "--scope", "slack:T0001:C0OTHER", "who decides the release date?"], env))
    assert other["recommendation"] == "PM" and other["agreement"] is None
    text = ok(["ask", "--scope", SLACK, "who decides the release date?"], env)
    assert (
        "Agreed in this channel (" in text
        and "recorded by @U0DANA): the Product Owner decides the release date." in text
    )

    assert "forgot: in this channel, the Product Owner decides" in ok(
        ["agreements", "remove", "--scope", SLACK, "1"], env
    )
    again = json.loads(ok(["ask", "--json", "--scope", SLACK, "who decides the release date?"], env))
    assert again["recommendation"] == "PM" and again["agreement"] is None


def test_export_in_three_formats_and_all_with_history(env: dict[str, str]) -> None:
    ok(["agreements", "add", "--scope", SLACK, "PO", "the release date | with a pipe"], env)
    ok(["agreements", "add", "--scope", SLACK, "PM", "the price of the pro plan"], env)
    ok(["agreements", "remove", "--scope", SLACK, "2"], env)
    ok(["agreements", "add", "--scope", TEAMS, "TEAM", "the CI pipeline"], env)

    md = ok(["agreements", "export", "--scope", SLACK, "--format", "md"], env)
    assert md.startswith(f"# Decision rights: {SLACK}")
    assert "| the release date \\| with a pipe | Product Owner | — | slack:T0001:C0001 |" in md
    assert "price" not in md and "CI pipeline" not in md and "History" not in md

    rows = list(csv.DictReader(io.StringIO(ok(["agreements", "export", "--scope", SLACK, "--format", "csv"], env))))
    assert [(r["decision"], r["owner"], r["removed_at"]) for r in rows] == [
        ("the release date | with a pipe", "PO", "")
    ]

    data = json.loads(ok(["agreements", "export", "--scope", SLACK, "--format", "json"], env))
    assert [(d["decision"], d["owner_name"], d["scope"]) for d in data] == [
        ("the release date | with a pipe", "Product Owner", SLACK)
    ]

    everything = json.loads(ok(["agreements", "export", "--all", "--format", "json"], env))
    assert sorted((d["decision"], bool(d["removed_at"])) for d in everything) == [
        ("the CI pipeline", False),
        ("the price of the pro plan", True),
        ("the release date | with a pipe", False),
    ]
    removed = next(d for d in everything if d["removed_at"])
    assert removed["removed_by"] == "cli"
    history = ok(["agreements", "export", "--all", "--format", "md"], env)
    assert "## History (removed agreements)" in history
    assert history.index("the price of the pro plan") > history.index("## History")
    all_csv = list(csv.DictReader(io.StringIO(ok(["agreements", "export", "--all", "--format", "csv"], env))))
    assert len(all_csv) == 3 and sum(1 for r in all_csv if r["removed_by"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["agreements", "add", "--scope", SLACK, "BOSS", "the release date"], "“BOSS” is not an owner"),
        (["agreements", "add", "--scope", SLACK, "PO"], "Name the decision."),
        (["agreements", "add", "--scope", SLACK, "PO", "x" * 201], "keep it under 200"),
        (["agreements", "remove", "--scope", SLACK, "4"], "There is no agreement number 4 here"),
        (["agreements", "list"], "needs --scope"),
        (["agreements", "list", "--scope", "nowhere"], "is not a scope"),
    ],
)
def test_bad_input_is_one_usage_line_and_stores_nothing(env: dict[str, str], args: list[str], message: str) -> None:
    res = run(args, env=env)
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert json.loads(ok(["agreements", "export", "--all", "--format", "json"], env)) == []
