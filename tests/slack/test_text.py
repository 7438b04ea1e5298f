"""Slack's encoded message text → the question the engine reads."""

from bot.slack.text import to_plain
from bot.texts import is_help


def test_the_bots_own_mention_is_dropped_and_others_become_readable():
    assert to_plain("<@UBOT> who decides the price?", "UBOT") == "who decides the price?"
    assert to_plain("hey <@UBOT|whodecides>, who owns <#C1|roadmap>?", "UBOT") == "hey , who owns #roadmap?"
    assert to_plain("<!channel> <!here> <@U999> <!subteam^S1|@team>", "UBOT") == "@channel @here @U999 @team"
    assert to_plain("see <https://example.com|the doc> and <https://x.y>") == "see the doc and https://x.y"


def test_slack_entities_are_unescaped_once():
    assert to_plain("R&amp;D &lt;pricing&gt; &amp;amp;") == "R&D <pricing> &amp;"


def test_blank_and_whitespace():
    assert to_plain(None) == ""
    assert to_plain("  <@UBOT>  \n ", "UBOT") == ""
    assert to_plain("a\n\nb\tc") == "a b c"


def test_help_words():
    assert is_help("help") and is_help(" HELP ") and is_help("?")
    assert not is_help("help me decide the price")
