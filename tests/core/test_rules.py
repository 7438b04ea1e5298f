"""Each rule's triggers, the context modifiers, overrides and validation."""

from pathlib import Path

import pytest

from bot.decide import Evidence, decide, match_rules
from bot.errors import WhodecidesError
from bot.rules import load_rules
from bot.topic import topic_of

BOOK = load_rules()
NO_EVIDENCE = Evidence((), on_topic=False)
TRIGGERS = [(r.id, r.owner, t) for r in BOOK.rules for t in r.trigger_texts]


@pytest.mark.parametrize(("rule_id", "owner", "trigger"), TRIGGERS, ids=[f"{r}:{t}" for r, _, t in TRIGGERS])
def test_each_trigger_fires_its_rule_for_the_right_owner(rule_id: str, owner: str, trigger: str) -> None:
    hits = match_rules(topic_of(f"Who decides {trigger}?"), BOOK)
    assert rule_id in [h.rule.id for h in hits]
    assert hits[0].rule.owner == owner


def test_every_rule_has_owner_consulted_rationale_and_citations() -> None:
    assert len(BOOK.rules) >= 30
    for r in BOOK.rules:
        assert r.owner in {"PO", "PM", "SHARED", "TEAM"}
        assert r.consulted and r.rationale.endswith(".") and r.citations and r.triggers
    assert {r.owner for r in BOOK.rules} == {"PO", "PM", "SHARED", "TEAM"}


def test_triggers_match_words_in_order_with_small_gaps() -> None:
    ids = [h.rule.id for h in match_rules("the order of the items in the product backlog", BOOK)]
    assert ids[0] == "po-backlog-order"
    assert "po-backlog-order" not in [
        h.rule.id
        for h in match_rules("order pizza for everyone who attended yesterday's long meeting about the backlog", BOOK)
    ]
    # the frame's role names never trigger rules ("manager" would otherwise stem like "manage")
    assert match_rules(topic_of("Who decides, the Product Manager or the Product Owner?"), BOOK) == []


@pytest.mark.parametrize(
    ("question", "owner", "rule"),
    [
        ("We are a small startup. Who decides the roadmap?", "SHARED", "ctx-small-company"),
        ("One person does both roles here: who orders the backlog?", "SHARED", "ctx-small-company"),
        ("We don't use Scrum. Who decides what the team works on next sprint?", "PM", "ctx-no-scrum"),
        ("Our teams use Kanban; who writes the user stories?", "PM", "ctx-no-scrum"),
        ("Ten Scrum teams ship one release: who sets the release goal?", "PM", "ctx-many-teams-overall"),
    ],
)
def test_context_modifiers(question: str, owner: str, rule: str) -> None:
    rec = decide(question, topic_of(question), NO_EVIDENCE, BOOK)
    assert rec is not None and rec.owner == owner
    assert rec.rules[0].id == rule and rec.notes


def test_modifiers_leave_technical_decisions_to_the_team() -> None:
    q = "We are a tiny startup without Scrum. Who picks the database?"
    rec = decide(q, topic_of(q), NO_EVIDENCE, BOOK)
    assert rec is not None and rec.owner == "TEAM"


def test_many_teams_but_one_teams_part_goes_to_the_po() -> None:
    q = "With many Scrum teams on one release, who sets the release goal for our team's part?"
    rec = decide(q, topic_of(q), NO_EVIDENCE, BOOK)
    assert rec is not None and rec.owner == "PO" and rec.rules[0].id == "po-team-release-goal"


def test_evidence_adjusts_confidence() -> None:
    q = "Who decides the price?"
    agree = decide(q, topic_of(q), Evidence((("PM", 1.0),) * 3, True), BOOK)
    disagree = decide(q, topic_of(q), Evidence((("PO", 1.0),) * 3, True), BOOK)
    neutral = decide(q, topic_of(q), NO_EVIDENCE, BOOK)
    assert agree and disagree and neutral
    assert agree.owner == disagree.owner == "PM"
    assert agree.confidence > neutral.confidence > disagree.confidence


def test_no_rule_uses_strong_on_topic_evidence_but_never_guesses_off_topic() -> None:
    q = "Who decides the thing nobody has a rule for?"
    strong = decide(q, topic_of(q), Evidence((("PO", 1.0), ("PO", 0.9), (None, 0.5)), True), BOOK)
    assert strong is not None and strong.owner == "PO" and strong.confidence <= 0.55 and strong.rules == ()
    assert decide(q, topic_of(q), Evidence((("PO", 1.0), ("PM", 1.0)), True), BOOK) is None  # split
    assert decide(q, topic_of(q), Evidence((("PO", 1.0),), False), BOOK) is None  # off topic


def test_org_rules_override_disable_and_add(tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        """
rules:
  - id: pm-pricing
    area: Pricing (our way)
    owner: PO
    consulted: [Finance]
    rationale: In our org the Product Owner sets prices.
    triggers: [price, pricing]
    citations: [{doc: charter.md, quote: "The PO sets prices."}]
  - id: pm-roadmap
    enabled: false
  - id: org-hiring
    area: Hiring
    owner: PM
    consulted: [HR]
    rationale: Our Product Manager hires.
    triggers: [hiring, hire]
    citations: [{doc: charter.md, quote: "The PM hires."}]
"""
    )
    book = load_rules(org)
    assert book.by_id("pm-pricing").owner == "PO"
    assert "pm-roadmap" not in [r.id for r in book.rules]
    assert match_rules("hiring a designer", book)[0].rule.id == "org-hiring"
    assert len(book.rules) == len(BOOK.rules)  # one replaced, one removed, one added
    assert book.digest != BOOK.digest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [{id: x, owner: BOSS, rationale: r., triggers: [a], citations: [{doc: d, quote: q}]}]", "owner"),
        ("rules: [{id: x, owner: PM, rationale: r., triggers: [price]}]", "citation"),
        ("rules: [{id: x, owner: PM, rationale: r., triggers: [who], citations: [{doc: d, quote: q}]}]", "never match"),
        (
            "rules: [{id: x, owner: PM, rationale: r., patterns: ['(('], citations: [{doc: d, quote: q}]}]",
            "bad pattern",
        ),
        ("rules: {not: a list}", "must be a list"),
        ("rules: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_org_rules_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(text)
    with pytest.raises(WhodecidesError, match=message):
        load_rules(org)


def test_missing_org_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WhodecidesError, match="WHODECIDES_RULES"):
        load_rules(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "question",
    ["Who runs the sprint retrospective?", "Who removes impediments for the team?", "Who hires new developers?"],
)
def test_outside_areas_are_not_sure_with_a_hint_not_a_guess(question: str) -> None:
    rec = decide(question, topic_of(question), Evidence((("PO", 1.0),) * 3, True), BOOK)
    assert rec is not None and rec.owner == "UNKNOWN" and rec.hint and rec.rules == ()


def test_a_stronger_rule_beats_an_outside_word() -> None:
    q = "Who orders the product backlog items discussed in the retrospective?"
    rec = decide(q, topic_of(q), NO_EVIDENCE, BOOK)
    assert rec is not None and rec.owner == "PO"


def test_semantic_fallback_only_when_close_and_unrivalled() -> None:
    q = "Who figures out the enterprise plan's list price?"
    close = Evidence((), True, semantic=(("pm-pricing", 0.8), ("po-backlog-order", 0.3)))
    rivalled = Evidence((), True, semantic=(("pm-pricing", 0.8), ("po-backlog-order", 0.79)))
    far = Evidence((), True, semantic=(("pm-pricing", 0.4),))
    topic = "enterprise plan's list frobnication"  # no trigger fires on this topic
    assert match_rules(topic, BOOK) == []
    rec = decide(q, topic, close, BOOK)
    assert rec is not None and rec.owner == "PM" and rec.rules[0].id == "pm-pricing" and rec.confidence < 0.7
    assert decide(q, topic, rivalled, BOOK) is None
    assert decide(q, topic, far, BOOK) is None


@pytest.mark.parametrize(
    "question", ["When did Apollo 11 launch?", "What's the best brand of coffee?", "What position does Messi play?"]
)
def test_a_lone_keyword_in_a_question_about_something_else_is_not_answered(question: str) -> None:
    assert decide(question, topic_of(question), Evidence((("PM", 1.0),), False), BOOK) is None


@pytest.mark.parametrize(("question", "owner"), [("pricing", "PM"), ("Roadmap?", "PM"), ("What about pricing?", "PM")])
def test_a_bare_decision_as_typed_after_the_slash_command_is_answered(question: str, owner: str) -> None:
    rec = decide(question, topic_of(question), NO_EVIDENCE, BOOK)
    assert rec is not None and rec.owner == owner
