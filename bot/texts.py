"""Every sentence the bot says outside an answer, once, for every platform; and the one `trim`.

The CLI, Slack and Teams word these the same way. Only how a user reaches the bot differs per platform
(`HOW_TO_ASK`), and that is a fact about the platform, so it lives here too.
"""

from __future__ import annotations

from bot.results import EXAMPLE_QUESTIONS

HELP_WORDS = frozenset({"help", "/help", "usage", "?", "-h", "--help"})

INTRO = "Ask me who decides a product decision: the Product Owner or the Product Manager."
USAGE = "Ask me who should decide something, the Product Owner or the Product Manager. For example:\n" + "\n".join(
    f"• {q}" for q in EXAMPLE_QUESTIONS
)
HOW_TO_ASK: dict[str, tuple[str, ...]] = {
    "slack": (
        "`/whodecides <decision>`: an answer only you see, with a *Share in channel* button",
        "@mention me in a channel: I answer in the thread",
        "or send me a direct message",
    ),
    "teams": ("In a channel or group chat, @mention me with your question.", "In a personal chat, just ask."),
}
WHAT_YOU_GET = "I answer with a recommendation, who to consult, why, and the passages it rests on."
WELCOME = "Hi, I'm whodecides. " + INTRO + " " + WHAT_YOU_GET
WELCOME_EXAMPLES = EXAMPLE_QUESTIONS[:3]  # the three a welcome offers

SORRY = "Sorry, I could not answer that just now. Please try again in a moment."
LOST_BUTTON = "Sorry, I could not read that button. Please ask your question again."
THANKS = {"up": "Thanks for the feedback! 👍", "down": "Thanks, noted: not helpful. 👎"}
REASON_THANKS = "Thanks, that helps us fix the answer."
REASON_SLOW = "Thanks! Your reason is still being saved."
REASON_LOST = "Thanks! Your reason could not be saved right now; the error has been logged."
EMPTY_MESSAGE = (
    "That message has no text I can read (a file or an image, perhaps). Use “Who decides this?” on a message "
    "that describes a decision, or ask me with /whodecides."
)
FEEDBACK_LOST = "Thanks! Your feedback could not be saved right now; the error has been logged."


def is_help(text: str) -> bool:
    return text.strip().lower() in HELP_WORDS


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def trim(text: str, limit: int, *, ellipsis: bool = True) -> str:
    """At most `limit` characters, cut at a word boundary where one is near, with an ellipsis.

    Never leaves half an HTML/mrkdwn entity (&am…) behind, so it is safe after escaping.
    """
    text = str(text)
    if len(text) <= limit:
        return text
    if not ellipsis:
        return text[:limit]
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and len(cut) - amp < 6:
        cut = cut[:amp]
    return cut.rstrip(" ,;:") + "…"
