"""What a team types to the bot's memory: owner words, the agree/forget/roles/context grammar."""

from __future__ import annotations

import pytest

from bot.agreements.grammar import owner_of, parse_agree, parse_context, parse_number, parse_roles
from bot.conversation import Context, Mention
from bot.errors import UsageError

SLACK = Context("slack", "T1", "C1", None, "U1", mentions=(Mention("U0DANA", "dana"), Mention("U0LEE", "lee")))
TEAMS = Context("teams", "tenant", "19:c", None, "aad", mentions=(Mention("29:dana", "Dana Scully"),))


@pytest.mark.parametrize(
    ("word", "owner"),
    [("PO", "PO"), ("po", "PO"), ("Product Owner", "PO"), ("PRODUCT  MANAGER", "PM"), ("pm", "PM"),
     ("Dev Team", "TEAM"), ("team", "TEAM"), ("Shared", "SHARED"), ("boss", None), ("", None)],
)  # fmt: skip
def test_owner_words(word: str, owner: str | None) -> None:
    assert owner_of(word) == owner


def test_agree_reads_owner_scope_consult_and_note() -> None:
    cmd = parse_agree(
        "--workspace product manager the price of the pro plan consult: Sales, Legal note: from the Q3 retro", SLACK
    )
    assert (cmd.owner, cmd.decision, cmd.workspace_wide) == ("PM", "the price of the pro plan", True)
    assert (cmd.consult, cmd.note) == ("Sales, Legal", "from the Q3 retro")
    assert parse_agree("Dev team   which database we use.", SLACK).decision == "which database we use"


def test_an_owner_word_must_be_a_whole_word() -> None:
    with pytest.raises(UsageError, match="“pomodoro” is not an owner"):
        parse_agree("pomodoro timers", SLACK)


def test_usage_lines_name_the_platform_s_way_to_type_it() -> None:
    with pytest.raises(UsageError) as slack:
        parse_agree("", SLACK)
    with pytest.raises(UsageError) as teams:
        parse_agree("", TEAMS)
    assert "e.g. /whodecides agree PO the release date" in slack.value.message
    assert "e.g. agree PO the release date" in teams.value.message and "/whodecides" not in teams.value.message


def test_roles_take_only_verified_mentions_by_id_or_name() -> None:
    assert parse_roles("po=@dana pm=@U0LEE", SLACK) == {"PO": Mention("U0DANA", "dana"), "PM": Mention("U0LEE", "lee")}
    assert parse_roles("po=@Dana Scully", TEAMS) == {"PO": Mention("29:dana", "Dana Scully")}
    assert parse_roles("po=Dana Scully", TEAMS) == {"PO": Mention("29:dana", "Dana Scully")}  # Teams' own form
    for bad in ("po=@mallory", "po=mallory", "po=", "po @dana", "owner=@dana"):
        with pytest.raises(UsageError, match="Usage: /whodecides roles po=@person pm=@person"):
            parse_roles(bad, SLACK)


def test_forget_numbers_and_context_values() -> None:
    assert parse_number("2", SLACK, 3) == 2 and parse_number("#1", SLACK, 1) == 1
    for bad, count in (("0", 3), ("4", 3), ("x", 3), ("", 3), ("1", 0)):
        with pytest.raises(UsageError, match="e.g. /whodecides forget 2"):
            parse_number(bad, SLACK, count)
    assert parse_context("  Small   Company ", SLACK) == "small company"
    assert parse_context("teams 4", SLACK) == "teams 4" and parse_context("clear", SLACK) == "clear"
    with pytest.raises(UsageError, match="context small company"):
        parse_context("medium company", SLACK)
