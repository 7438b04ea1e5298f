"""The labelled sets: the dev set's bar from the issue, and our own paraphrases (a guard against overfitting)."""

import pytest

from bot.evaluate import evaluate, format_report, read_cases
from tests.conftest import DEV_SET, PARAPHRASES


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"dev set not found at {DEV_SET}")
def test_dev_set_accuracy_and_evidence_recall(answerer) -> None:
    rep = evaluate(answerer, read_cases(DEV_SET))
    assert rep.accuracy >= 0.95, format_report(rep)
    assert rep.recall >= 0.90, format_report(rep)


def test_paraphrase_set_accuracy(answerer) -> None:
    rep = evaluate(answerer, read_cases(PARAPHRASES))
    assert rep.n >= 50
    assert rep.accuracy >= 0.9, format_report(rep)


def test_report_has_confusion_matrix_and_misses(answerer, tmp_path) -> None:
    f = tmp_path / "mini.jsonl"
    f.write_text(
        '{"q": "Who owns the roadmap?", "expect": "PO", "evidence": ["nonexistent phrase"]}\n'
        '{"q": "Who decides the price?", "expect": "PM", "evidence": ["pricing analysis"]}\n'
    )
    rep = evaluate(answerer, read_cases(f), retrieval_modes=True)
    text = format_report(rep)
    assert rep.accuracy == 0.5 and rep.recall == 0.5
    assert rep.confusion[("PO", "PM")] == 1
    assert "Who owns the roadmap?  (expected PO, got PM; evidence not in top 3)" in text
    assert set(rep.retrieval) == {"dense", "lexical", "hybrid", "rrf"}
