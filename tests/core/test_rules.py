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
        ("Priya is our PO and PM. Who sets the price of the team plan?", "SHARED", "ctx-small-company"),
        ("Dana's both PM and PO here; who orders the backlog?", "SHARED", "ctx-small-company"),
        ("We're a 30-person company with one 'product person'. Who orders the backlog?", "SHARED", "ctx-small-company"),
        ("Our company is about 25 people. Who orders the backlog?", "SHARED", "ctx-small-company"),
        ("we're 4 ppl total. who orders the backlog?", "SHARED", "ctx-small-company"),
        ("We don't use Scrum. Who decides what the team works on next sprint?", "PM", "ctx-no-scrum"),
        ("Our teams use Kanban; who writes the user stories?", "PM", "ctx-no-scrum"),
        (
            "Ten Scrum teams ship one release: who makes sure the backlog items are ready?",
            "PM",
            "ctx-many-teams-overall",
        ),
    ],
)
def test_context_modifiers(answerer, question: str, owner: str, rule: str) -> None:
    ans = answerer.answer(question)
    assert ans.recommendation == owner
    assert ans.rules[0].id == rule and ans.notes


def test_modifiers_leave_technical_decisions_to_the_team(answerer) -> None:
    ans = answerer.answer("We are a tiny startup without Scrum. Who picks the database?")
    assert ans.recommendation == "TEAM"


def test_many_teams_but_one_teams_part_goes_to_the_po(answerer) -> None:
    ans = answerer.answer("With many Scrum teams on one release, who sets the release goal for our team's part?")
    assert ans.recommendation == "PO" and ans.rules[0].id == "po-team-release-goal"


def test_a_story_saying_which_part_is_ours_keeps_the_many_teams_modifier_out(answerer) -> None:
    # Words between "team" and the part it owns ("my team only owns the search piece").
    ans = answerer.answer(
        "Our autumn release is built by eight scrum teams, and its overall goal came from the PM. My team only owns "
        "the search piece. Who sets a release goal for what we deliver?"
    )
    assert ans.recommendation == "PO"
    assert "ctx-many-teams-overall" not in [r.id for r in ans.rules]


@pytest.mark.parametrize("count", ["eight", "twelve", "a dozen", "7"])
def test_many_teams_counted_in_words_are_many_teams(answerer, count: str) -> None:
    ans = answerer.answer(f"The spring release is built by {count} scrum teams. Who sets the release goal?")
    assert ans.recommendation == "PM" and ans.rules[0].id == "ctx-many-teams-overall"


def test_evidence_adjusts_confidence() -> None:
    q = "Who decides the price?"
    router = {"pm-pricing": 0.45, "po-backlog-order": 0.3}
    agree = decide(q, topic_of(q), Evidence((("PM", 1.0),) * 3, True, probabilities=router), BOOK)
    disagree = decide(q, topic_of(q), Evidence((("PO", 1.0),) * 3, True, probabilities=router), BOOK)
    neutral = decide(q, topic_of(q), Evidence((), True, probabilities=router), BOOK)
    assert agree and disagree and neutral
    assert agree.owner == disagree.owner == "PM"
    assert agree.confidence > neutral.confidence > disagree.confidence


def test_without_router_or_strong_trigger_it_does_not_guess() -> None:
    q = "Who decides the thing nobody has a rule for?"
    assert decide(q, topic_of(q), Evidence((("PO", 1.0), ("PO", 0.9)), True), BOOK) is None
    weak = {"pm-pricing": 0.15, "po-backlog-order": 0.1}  # nothing near the "not sure" line
    assert decide(q, topic_of(q), Evidence((), True, probabilities=weak), BOOK) is None


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
def test_outside_areas_are_not_sure_with_a_hint_not_a_guess(answerer, question: str) -> None:
    ans = answerer.answer(question)
    assert ans.recommendation == "UNKNOWN" and ans.hint and ans.rules == ()
    assert "Scrum Master" in ans.hint or "HR" in ans.hint


def test_a_stronger_rule_beats_an_outside_word(answerer) -> None:
    ans = answerer.answer("Who orders the product backlog items discussed in the retrospective?")
    assert ans.recommendation == "PO"


def test_close_owners_are_a_close_call_with_the_other_reading() -> None:
    q = "who decides this one?"
    close = {"pm-pricing": 0.52, "po-backlog-order": 0.45}
    rec = decide(q, "this one", Evidence((), True, probabilities=close), BOOK)
    assert rec is not None and rec.owner == "PM" and rec.confidence <= 0.6
    assert any("if you mean ordering and prioritising the product backlog" in n.lower() for n in rec.notes)
    clear = decide(q, "this one", Evidence((), True, probabilities={"pm-pricing": 0.8, "po-backlog-order": 0.05}), BOOK)
    assert clear is not None and clear.confidence > rec.confidence and not clear.notes


@pytest.mark.parametrize(
    "question", ["When did Apollo 11 launch?", "What's the best brand of coffee?", "What position does Messi play?"]
)
def test_a_lone_keyword_in_a_question_about_something_else_is_not_answered(question: str) -> None:
    assert decide(question, topic_of(question), Evidence((("PM", 1.0),), False), BOOK) is None


def test_a_question_that_asks_something_else_needs_a_surer_router_to_be_answered() -> None:
    """ "When does the new cafeteria open?" asks when, not who: a router leaning on "launch" is not enough."""
    router = {"pm-launch-release-planning": 0.5, "pm-roadmap": 0.04}
    when = "When does the new cafeteria open?"
    assert decide(when, topic_of(when), Evidence((), True, probabilities=router), BOOK) is None
    who = "who plans when it opens?"
    rec = decide(who, topic_of(who), Evidence((), True, probabilities=router), BOOK)
    assert rec is not None and rec.owner == "PM"


@pytest.mark.parametrize(("question", "owner"), [("pricing", "PM"), ("Roadmap?", "PM"), ("What about pricing?", "PM")])
def test_a_bare_decision_as_typed_after_the_slash_command_is_answered(answerer, question: str, owner: str) -> None:
    assert answerer.answer(question).recommendation == owner


def _rule(rule_id: str):
    return next(r for r in BOOK.rules if r.id == rule_id)


def test_an_answer_against_another_owners_full_strength_trigger_is_never_high() -> None:
    from bot.decide import Candidate, score

    winner = Candidate(_rule("pm-overall-release-goal"), router=0.9)
    quiet_rival = Candidate(_rule("po-team-release-goal"), router=0.05)
    outspoken = Candidate(_rule("po-team-release-goal"), router=0.05, bonus=0.35, trigger=3.5)
    alone = score([winner, quiet_rival], NO_EVIDENCE)
    against = score([winner, outspoken], NO_EVIDENCE)
    assert alone is not None and against is not None
    assert alone.owner == against.owner == "PM"
    assert alone.confidence >= 0.75 and not alone.notes
    assert against.confidence <= 0.7
    assert "team" in against.notes[0].lower() and "Product Owner decides" in against.notes[0]


def test_asking_who_holds_both_roles_is_not_one_person_holding_them(answerer) -> None:
    ans = answerer.answer("who's the PO and PM for billing? I need the price of the team plan changed")
    assert "ctx-small-company" not in [r.id for r in ans.rules]


@pytest.mark.parametrize(
    ("question", "owner"),
    [
        # The forum: both PM and PO attend the sprint reviews …
        ("do the product manager and the product owner both go to the sprint review?", "SHARED"),
        # … while presenting the product there, and acting on the review's feedback, stay the PO's.
        ("who presents the increment to stakeholders at the sprint review?", "PO"),
        ("after the review on friday the stakeholders had lots of comments, who reshuffles the backlog?", "PO"),
    ],
)
def test_attending_the_sprint_review_is_both_roles(answerer, question: str, owner: str) -> None:
    assert answerer.answer(question).recommendation == owner


@pytest.mark.parametrize(
    "question",
    [
        "we're 12 people on the platform team at a 3000-person company. who orders our backlog?",
        "we're a 2,000 employee bank, 12 people in our squad. who orders the backlog?",
        "Nine scrum teams, one backlog each. It should be one person's call: who orders our team's backlog?",
        # a 40-person company is read by its question's area, as every independent writer of the eval sets read it
        "we're a 40-person fintech with one squad. who orders the backlog for it?",
        "we're about 45 people total. who orders the backlog?",
        "we're a 60-person startup. who orders the backlog?",
        "we're demoing the new flow to ~12 people from ops and sales. who orders the backlog?",  # an audience
        "i've worked at 3 startups and it's always the same fight: who orders the backlog?",
    ],
)
def test_a_small_team_in_a_big_company_is_not_a_small_company(answerer, question: str) -> None:
    ans = answerer.answer(question)
    assert ans.recommendation == "PO"
    assert "ctx-small-company" not in [r.id for r in ans.rules]


def test_when_the_context_decides_its_sources_lead_the_passages(answerer) -> None:
    ans = answerer.answer(
        "We're a seven-person startup and one person does all the product work. Who owns the roadmap?"
    )
    assert ans.rules[0].id == "ctx-small-company"
    modifier = next(m for m in answerer.rules.modifiers if m.id == "ctx-small-company")
    quotes = [" ".join(c.quote.split()).lower() for c in modifier.citations]
    top = [" ".join(p.text.split()).lower() for p in ans.passages[:3]]
    assert all(any(q in t for q in quotes) for t in top)


@pytest.mark.parametrize(
    "q",
    [
        "who handles expense reports for client dinners?",  # an outside phrase, no rule trigger
        "who approves my expense claim for the roadmap offsite?",  # "my" before it, a rule trigger beside it
        "who approves my expenses for the product marketing summit?",  # "my" outweighs a two-word rule trigger
    ],
)
def test_a_personal_or_company_matter_outweighs_a_product_reading_of_the_router(q: str) -> None:
    # The router reads "client dinners" as revenue and "roadmap" as the PM's; the outside phrase is precise.
    router = {"pm-business-case": 0.55, "pm-roadmap": 0.05, "out-workplace": 0.2}
    rec = decide(q, topic_of(q), Evidence((), True, probabilities=router), BOOK)
    assert rec is not None and rec.owner == "UNKNOWN"


# Listed responsibilities no area cites, and why: the roadmap item says the vision is set by both roles (the
# writers split on it), and "deep product expertise" is what the outward-facing area already says in other words.
UNCITED_ON_PURPOSE = {
    "creating the product roadmap to help the team maintain the vision set out by both",
    "providing deep product expertise required to make strategic product decisions",
}


def test_every_responsibility_the_articles_list_has_a_decision_area() -> None:
    """Each "- " item of the articles' responsibility lists is quoted by some rule: a duty the sources name but no
    area covers is a question the router can only misplace ("who explains to the team why this release matters?")."""
    root = Path(__file__).resolve().parents[2] / "corpus"
    book = load_rules()
    cited = " ".join(" ".join(c.quote.split()).lower() for r in (*book.rules, *book.modifiers) for c in r.citations)
    missing = []
    for doc in sorted(root.glob("*.md")):
        for line in doc.read_text(encoding="utf-8").splitlines():
            if not line.startswith("- "):
                continue
            item = " ".join(line[2:].split()).lower().rstrip(",.;")
            if " ".join(item.split()[:6]) not in cited and not any(item.startswith(u) for u in UNCITED_ON_PURPOSE):
                missing.append(f"{doc.name}: {item}")
    assert missing == []


def test_why_a_release_matters_is_explained_to_the_team_by_the_pm(answerer) -> None:
    ans = answerer.answer("the devs don't get what the company gains from the spring release, who should tell them?")
    assert ans.recommendation == "PM" and ans.rules[0].id == "pm-release-motivation"
    assert any("Articulating the business value to the product team" in p.text for p in ans.passages[:3])
