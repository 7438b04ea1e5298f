"""Which role a sentence gives a decision to, on sentences of the shapes org documents use."""

import pytest

from bot.role_statement import role_statement, role_statements, stated_role


@pytest.mark.parametrize(
    ("sentence", "role", "decision"),
    [
        ("At ACME the Product Owner sets the price", "PO", "the price"),  # active, with an org prefix
        ("Pricing is decided by our product manager", "PM", "Pricing"),  # passive
        ("The PM owns pricing; the PO is consulted", "PM", "pricing"),  # both named, one consulted
        ("Our PO, not the PM, decides the release date", "PO", "the release date"),  # an aside denies the other
        ("Release dates belong to the Product Owner.", "PO", "Release dates"),
        ("Pricing is the PM's call.", "PM", "Pricing"),  # possessive
        ("At ACME, product owners have the final say on the release date.", "PO", "the release date"),
        ("Only the Product Manager may change list prices.", "PM", "list prices"),
        ("Our Product Manager is responsible for pricing and packaging.", "PM", "pricing and packaging"),
        ("The team decides how to build it.", "TEAM", "how to build it"),
        ("Developers choose the programming language.", "TEAM", "the programming language"),
        ("The PO and the PM decide the roadmap together", "SHARED", "the roadmap"),
        ("The product manager is consulted on the release date, which the PO decides.", "PO", None),
    ],
)
def test_the_role_a_sentence_gives_the_decision_to(sentence: str, role: str, decision: str | None) -> None:
    st = role_statement(sentence)
    assert st.role == role
    if decision is not None:
        assert st.decision == decision


@pytest.mark.parametrize(
    ("sentence", "denied"),
    [
        ("the PO does not set prices", {"PO"}),
        ("The decision on discounts does not belong to the PM.", {"PM"}),
        ("Neither the PO nor the PM decides the tech stack.", {"PO", "PM"}),
        ("PMs never approve discounts.", {"PM"}),
    ],
)
def test_a_negation_names_no_decider_and_denies_the_role(sentence: str, denied: set[str]) -> None:
    st = role_statement(sentence)
    assert st.role is None and st.decision == ""
    assert st.denied == denied


@pytest.mark.parametrize(
    "sentence",
    [
        "The weather is nice today.",  # no role
        "Pricing is decided by the CFO.",  # a decider that is neither role
        "Desk bookings are handled by the office manager.",
        "The PO sets the price and the PM approves it.",  # both decide, without "together": unclear
        "The Product Owner works closely with the team.",  # a role, no decision
        "the po sets the price at 5 pm",  # lower-case abbreviations are not the roles
        "The release notes are approved by 5 PM on Fridays.",  # a time of day
    ],
)
def test_sentences_that_do_not_say_who_decides(sentence: str) -> None:
    assert stated_role(sentence) is None


def test_the_pm_decides_and_the_po_makes_sure_is_the_pm() -> None:
    # The sources' own shape: a second role that executes is not a second decider.
    sentence = "The PM decides what is going to be built and the PO makes sure the development team delivers it."
    assert stated_role(sentence) == "PM"


def test_a_passage_gives_one_statement_per_decision() -> None:
    text = (
        "How decision rights are split.\n"
        "- The PO orders the backlog, but the PM sets the roadmap.\n"
        "- Hiring is decided by the engineering manager.\n"
        "Market research is the PO's call."
    )
    found = [(s.role, s.decision) for s in role_statements(text)]
    assert found == [("PO", "the backlog"), ("PM", "the roadmap"), ("PO", "Market research")]
