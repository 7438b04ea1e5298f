"""The ask, not the story: a message is split into sentences and the one that asks names the decision."""

import pytest

from bot.message import asks, is_vague, points_back, read_message, split_sentences, unmark


def test_sentences_split_on_ends_breaks_dashes_colons_and_emoji() -> None:
    text = "ok so 🙃 the launch slipped — again. quick q: who owns the backlog?\nthanks"
    expected = ["ok so", "the launch slipped", "again.", "quick q", "who owns the backlog?", "thanks"]
    assert split_sentences(text) == expected


def test_a_story_then_a_question_reads_the_question() -> None:
    msg = read_message(
        "Marketing keeps pushing a new pricing tier for the summer. Finance agrees. "
        "Totally separate thing: who decides which stories go into our next sprint?"
    )
    assert msg.ask == "who decides which stories go into our next sprint?"
    assert "pricing tier" in msg.context  # the story stays available to the context modifiers


def test_an_ask_that_points_back_borrows_the_sentence_before() -> None:
    msg = read_message("We have to choose between two message brokers for the audit log. Whose call is that?")
    assert msg.ask == "We have to choose between two message brokers for the audit log. Whose call is that?"
    assert points_back("whose call is that?") and points_back("who decides this?")
    assert not points_back("who decides what goes into the next sprint?")


def test_a_comma_before_who_starts_the_ask() -> None:
    assert read_message("the churn review is at 2, who's booking the room?").ask == "who's booking the room?"


@pytest.mark.parametrize(
    ("sentence", "asking"),
    [
        ("who owns the roadmap", True),
        ("is that a PO thing or a PM thing", True),
        ("is this a product call or ours?", True),
        ("the roadmap slipped again", False),
        ("we shipped the billing page last week.", False),
    ],
)
def test_asks(sentence: str, asking: bool) -> None:
    assert asks(sentence) is asking


def test_a_single_sentence_is_its_own_ask() -> None:
    msg = read_message("  who   sets the price?  ")
    assert msg.ask == msg.text == "who sets the price?"


def test_the_answer_is_keyed_on_the_ask_not_the_story(answerer) -> None:
    # The story names pricing (the PM's); the ask is about the sprint order (the PO's).
    ans = answerer.answer(
        "Long week. Sales keeps asking about a cheaper plan for schools and finance wants new discount rules "
        "before the board meeting, which is a whole other story. Anyway, who decides the order of the tickets "
        "we pick up in the coming sprint?"
    )
    assert ans.recommendation == "PO"


@pytest.mark.parametrize(
    ("ask", "vague"),
    [
        ("Who picks the approach?", True),
        ("whose call is the tech here?", True),
        ("if the release slips again, who's on the hook for it?", True),
        ("who decides the order of the tickets we pick up next sprint?", False),
        ("who sets the price of the team plan for schools?", False),
    ],
)
def test_a_vague_ask_names_too_little_to_be_read_alone(ask: str, vague: bool) -> None:
    assert is_vague(ask) is vague


def test_the_story_before_the_ask_is_kept_for_a_vague_ask() -> None:
    msg = read_message("Lots going on. We could keep the cron job or move it to a queue. Who picks the approach?")
    assert msg.ask == "Who picks the approach?"
    assert msg.story == ("Lots going on.", "We could keep the cron job or move it to a queue.")


def test_a_vague_ask_is_read_with_the_story_sentence_before_it(answerer) -> None:
    # Alone, "who picks the approach?" reads as picking sprint work (the PO's); the sentence before names the
    # technical alternatives, and the router is surer of the wider reading.
    alone = answerer.answer("Who picks the approach?")
    ans = answerer.answer("We might move the session store to Redis or keep it in Postgres. Who picks the approach?")
    assert alone.recommendation != "TEAM"
    assert ans.recommendation == "TEAM"


def test_a_vague_ask_finds_its_decision_further_back_in_the_story(answerer) -> None:
    # The sentence right before the ask names nothing; the decision is two sentences back.
    ans = answerer.answer(
        "We might move the session store to Redis or keep it in Postgres. Nobody has touched it in years. "
        "Who picks the approach?"
    )
    assert ans.recommendation == "TEAM"


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        (
            "what KPI should search move? nobody on the team knows who sets that",
            "what KPI should search move? who sets that",
        ),
        ("A new hire asked which of them runs the demos.", "A new hire asked which of them runs the demos."),
        (
            "Hi all. A new hire asked me which of you signs off the demo script.",
            "which of you signs off the demo script.",
        ),
        ("Two plans now. I wonder who decides the price.", "who decides the price."),
    ],
)
def test_a_lead_in_before_who_is_not_part_of_the_ask(text: str, ask: str) -> None:
    # A single sentence is read whole (the topic drops its frame); in a message, "nobody knows who…" is trimmed.
    assert read_message(text).ask == ask


def test_a_trimmed_ask_that_points_back_is_read_with_the_question_before_it(answerer) -> None:
    ans = answerer.answer(
        "quick one: what retention target is the onboarding revamp meant to hit? "
        "honestly nobody here knows who sets that"
    )
    assert ans.recommendation == "PM"


def test_pos_in_capitals_is_point_of_sale_not_product_owners() -> None:
    assert (
        read_message("who prices the POS terminals, PM or PO?").ask
        == "who prices the point-of-sale terminals, PM or PO?"
    )
    assert read_message("our POs and PMs disagree").ask == "our POs and PMs disagree"
    assert read_message("Hi. The POS app is slow. Who owns it?").text == "Hi. The POS app is slow. Who owns it?"


def test_the_sentences_after_a_question_asked_first_are_kept() -> None:
    msg = read_message("Is this a PM thing? Finance wants a forecast for the add-on. Thanks!")
    assert msg.ask == "Is this a PM thing?"
    assert msg.story == ()
    assert msg.after == ("Finance wants a forecast for the add-on.", "Thanks!")


def test_a_question_asked_first_is_read_with_the_story_after_it(answerer) -> None:
    # Slack people often ask first and explain after. Alone, "is this a team thing?" names no decision.
    alone = answerer.answer("is this a team thing?")
    ans = answerer.answer(
        "is this a team thing? We might move the session store to Redis or keep it in Postgres. Thanks in advance"
    )
    assert alone.recommendation != "TEAM"
    assert ans.recommendation == "TEAM"


def test_only_an_ask_that_names_almost_nothing_reads_the_sentences_after_it(answerer) -> None:
    # "feeding back on the roadmap" names its decision: a technical sentence after it must not take over.
    ask = "Who should be giving feedback on the roadmap when it looks off?"
    alone = answerer.answer(ask)
    ans = answerer.answer(f"{ask} We might move the session store to Redis or keep it in Postgres.")
    assert ans.recommendation == alone.recommendation != "TEAM"


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Mo is our PO *and* PM", "Mo is our PO and PM"),
        ("it's _really_ urgent, ~not~ maybe", "it's really urgent, not maybe"),
        ("**who** decides?", "who decides?"),
        ("the user_id and snake_case_name fields", "the user_id and snake_case_name fields"),
        ("5*3*2 and a * b", "5*3*2 and a * b"),
    ],
)
def test_chat_emphasis_marks_are_not_words(text: str, plain: str) -> None:
    assert unmark(text) == plain
    assert read_message(text).text == plain


def test_an_afterthought_after_the_question_is_not_the_question() -> None:
    msg = read_message(
        "Who sets the price of the school plan? Finance keeps asking and sales has opinions. "
        "No rush, just want to know who to loop in."
    )
    assert msg.ask == "Who sets the price of the school plan?"


def test_a_relative_who_in_the_story_is_not_a_question() -> None:
    # The last ask is vague, but "we have BAs who write the stories" is a statement, not the question.
    msg = read_message(
        "We have BAs who write the stories for the devs. In a setup like that who's on the strategic side?"
    )
    assert msg.ask.endswith("In a setup like that who's on the strategic side?")


def test_a_sentence_about_who_is_busy_is_not_what_an_ask_points_back_to() -> None:
    msg = read_message(
        "Finance wants a three-year forecast of the product's revenue. The PM is swamped with the launch. "
        "Whose job is that?"
    )
    assert msg.ask == "Finance wants a three-year forecast of the product's revenue. Whose job is that?"


def test_a_status_sentence_is_borrowed_when_there_is_nothing_before_it() -> None:
    assert read_message("The PO is out sick. Who covers that?").ask == "The PO is out sick. Who covers that?"


def test_what_the_ask_says_it_is_not_about_is_left_out_of_its_story() -> None:
    msg = read_message(
        "we had 25 one-star reviews about the upload bug. not asking who fixes it technically — "
        "asking who turns those complaints into work the team can pick up?"
    )
    assert msg.story == ("we had 25 one-star reviews about the upload bug.",)
    assert "technically" in msg.context  # still context for the modifiers


@pytest.mark.parametrize(
    "text",
    [
        "who decides the order of the bugs in the next sprint? context: support has 12 tickets open, and our "
        "designer who usually helps with triage is out.",
        "who's supposed to write the acceptance criteria here? the PM who wrote the epic is at a conference.",
    ],
)
def test_a_relative_who_in_the_story_after_the_question_is_not_the_ask(text: str) -> None:
    assert read_message(text).ask == text.split("?")[0] + "?"


@pytest.mark.parametrize("sentence", ["so who decides the price", "pls who owns the roadmap", "ok, who orders it"])
def test_who_after_a_filler_still_asks(sentence: str) -> None:
    assert asks(sentence)


def test_a_question_asked_first_is_answered_not_a_relative_who_after_it(answerer) -> None:
    ans = answerer.answer(
        "who decides the order of the bugs in the next sprint? context: support has 12 tickets open, sales is "
        "pushing for the CSV export, and our designer who usually helps with triage is out."
    )
    assert ans.recommendation == "PO"


def test_a_quoted_message_before_the_ask_is_story_not_the_asks_wording() -> None:
    msg = read_message('> "let\'s just copy what Acme does" who is supposed to watch Acme and the others?')
    assert msg.ask == "who is supposed to watch Acme and the others?"
    assert msg.story == ('"let\'s just copy what Acme does"',)


def test_a_colon_after_a_bracket_starts_the_ask() -> None:
    assert read_message("Raj (PM) vs Lea (PO): who sets the sprint goal?").ask == "who sets the sprint goal?"
