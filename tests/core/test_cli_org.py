"""Org rules files through the real CLI entry point: a quote the corpus lacks is refused, as one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.core.test_cli import run


@pytest.fixture(scope="module")
def where(real_index_dir: Path) -> list[str]:
    return ["--corpus", str(CORPUS), "--index", str(real_index_dir)]


def bad_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "acme-rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: acme-pricing\n"
        "    owner: PO\n"
        "    triggers: [price]\n"
        "    rationale: At ACME the PO prices.\n"
        "    citations:\n"
        "      - {doc: glossary.md, quote: At ACME the PO sets every price.}\n"
    )
    return rules


def test_a_rules_file_quoting_what_the_corpus_lacks_is_refused(where: list[str], tmp_path: Path) -> None:
    rules = bad_rules(tmp_path)
    res = run(["ask", *where, "--rules", str(rules), "Who decides the price?"])
    assert res.returncode == 1 and res.stdout == ""
    assert "rule acme-pricing" in res.stderr and "“At ACME the PO sets every price.”" in res.stderr
    assert str(rules) in res.stderr and "Traceback" not in res.stderr


def test_whodecides_index_refuses_it_too(where: list[str], tmp_path: Path) -> None:
    res = run(["index", "--if-stale", *where, "--rules", str(bad_rules(tmp_path))])
    assert res.returncode == 1 and "rule acme-pricing" in res.stderr and "Traceback" not in res.stderr


def test_ask_json_says_no_org_document_decided(where: list[str]) -> None:
    res = run(["ask", "--json", *where, "Who decides the price?"])
    assert res.returncode == 0, res.stderr
    row = json.loads(res.stdout)
    assert row["recommendation"] == "PM" and row["authority"] is None
