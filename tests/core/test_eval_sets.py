"""The labelled sets: the dev set's bar from the issue, and our own paraphrases (a guard against overfitting)."""

import pytest

from bot.answer import Answerer
from bot.evaluate import EvalReport, evaluate, format_report, half_of, read_cases
from tests.conftest import (
    DEV_SET,
    PARAPHRASES,
    REALISTIC,
    TRIAL,
    TRIAL2,
    TRIAL3,
    TRIAL4,
    TRIAL5,
    TRIAL6,
    TRIAL7,
    TRIAL8,
    TRIAL9,
)


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


@pytest.fixture(scope="module")
def realistic(answerer: Answerer) -> dict[str, EvalReport]:
    cases = read_cases(REALISTIC)
    return {h: evaluate(answerer, [c for c in cases if half_of(c["q"]) == h]) for h in ("tune", "check")}


def test_realistic_set_is_split_deterministically_in_two_halves() -> None:
    cases = read_cases(REALISTIC)
    halves = [half_of(c["q"]) for c in cases]
    assert len(cases) == 73 and set(halves) == {"tune", "check"}
    assert halves == [half_of(c["q"]) for c in read_cases(REALISTIC)]
    assert 25 <= halves.count("tune") <= 48


def test_realistic_tuning_half(realistic: dict[str, EvalReport]) -> None:
    """A regression guard a little under today's level (README: 0.925 / 0.829); the recall goal (0.85) is not
    reached yet."""
    rep = realistic["tune"]
    assert rep.accuracy >= 0.9, format_report(rep)
    assert rep.recall >= 0.70, format_report(rep)


def test_realistic_check_half(realistic: dict[str, EvalReport]) -> None:
    """Never tuned on: guards against a change that only helps the half it was made for (README: 0.939)."""
    rep = realistic["check"]
    assert rep.accuracy >= 0.8, format_report(rep)
    assert rep.recall >= 0.6, format_report(rep)


@pytest.mark.parametrize(("path", "half"), [(p, h) for p in (TRIAL, TRIAL2) for h in ("tune", "check")])
def test_trial_set_halves(answerer: Answerer, path, half: str) -> None:
    """The trial sets: 120 messages each, written from the articles alone by writers who never saw the eval sets,
    the rules' examples or the bot, labelled once. Split like realistic.jsonl (README has the figures)."""
    cases = [c for c in read_cases(path) if half_of(c["q"]) == half]
    assert len(cases) >= 50
    rep = evaluate(answerer, cases)
    assert rep.accuracy >= 0.82, format_report(rep)
    assert rep.recall >= 0.65, format_report(rep)


def test_third_trial_set(answerer: Answerer) -> None:
    """trial3.jsonl (long stories, indirect asks) was scored once untouched (README), then used whole to accept or
    reject changes: a guard a little under today's level."""
    rep = evaluate(answerer, read_cases(TRIAL3))
    assert rep.n == 120
    assert rep.accuracy >= 0.85, format_report(rep)
    assert rep.recall >= 0.78, format_report(rep)


@pytest.mark.parametrize(
    ("path", "half", "accuracy", "recall"),
    [
        (TRIAL4, "tune", 0.80, 0.70),
        (TRIAL4, "check", 0.74, 0.58),
        (TRIAL5, "tune", 0.74, 0.74),
        (TRIAL5, "check", 0.78, 0.74),
        (TRIAL6, "tune", 0.86, 0.80),
        (TRIAL6, "check", 0.84, 0.78),
        (TRIAL7, "tune", 0.80, 0.74),
        (TRIAL7, "check", 0.82, 0.76),
        (TRIAL8, "tune", 0.84, 0.76),
        (TRIAL8, "check", 0.80, 0.72),
        (TRIAL9, "tune", 0.84, 0.68),
        (TRIAL9, "check", 0.64, 0.56),
    ],
)
def test_later_trial_set_halves(answerer: Answerer, path, half: str, accuracy: float, recall: float) -> None:
    """trial4 … trial9, six more writers' 120 messages each. trial4 was scored untouched when it arrived (0.808 /
    0.704), trial5 blind at the end of the fourth session (0.775 / 0.765), trial6 and trial7 blind on arrival in the
    fifth (0.892 / 0.830, 0.833 / 0.778; trial6's misses never read), trial8 and trial9 blind on arrival in the sixth
    (0.858 / 0.771, 0.758 / 0.638; their check halves not tuned on). Guards a little under today's level (README
    has the figures)."""
    cases = [c for c in read_cases(path) if half_of(c["q"]) == half]
    assert len(cases) >= 50
    rep = evaluate(answerer, cases)
    assert rep.accuracy >= accuracy, format_report(rep)
    assert rep.recall >= recall, format_report(rep)


def test_high_confidence_means_something_and_not_sure_is_rare(realistic: dict[str, EvalReport]) -> None:
    right = sum(r.by_band.get("high", [0, 0])[0] for r in realistic.values())
    answered = sum(r.by_band.get("high", [0, 0])[1] for r in realistic.values())
    assert answered >= 20 and right / answered >= 0.9
    for rep in realistic.values():
        assert rep.not_sure_on_answerable <= 0.05, format_report(rep)
        assert rep.not_sure_precision >= 0.8, format_report(rep)


def test_report_has_kinds_bands_and_not_sure_calibration(realistic: dict[str, EvalReport]) -> None:
    text = format_report(realistic["tune"])
    assert "accuracy by kind:" in text and "decoy:" in text and "context:" in text
    assert "accuracy by confidence band:" in text and "high:" in text
    assert "not sure: precision" in text


def test_calibration_table_measures_scores_before_the_thresholds(answerer: Answerer) -> None:
    from bot.calibrate import measure, report
    from bot.decide import NOT_SURE_BELOW

    sure = measure(answerer, "who decides the price of the enterprise tier?", "PM")
    outside = measure(answerer, "who approves my vacation days in december?", "UNKNOWN")
    assert sure.owner == "PM" and sure.top >= NOT_SURE_BELOW and sure.lead > 0.3
    assert outside.owner == "UNKNOWN"
    table = report([sure, outside])
    assert "not sure below | precision  recall" in table and "lead at least | answers  accuracy" in table
    row = next(line for line in table.splitlines() if line.strip().startswith(f"{NOT_SURE_BELOW:.2f}"))
    assert row.split()[2:4] == ["1.000", "1.000"]  # at today's threshold: the outside one, and only it
