"""What Slack's AI app surface shows: suggested prompts, the status line, the thread's title (pure)."""

from __future__ import annotations

from bot.results import EXAMPLE_QUESTIONS
from bot.texts import one_line, trim

ASSISTANT_STATUS = "Looking through the sources…"
PROMPTS_TITLE = "Ask who decides, for example:"
MAX_PROMPTS = 4  # Slack shows up to 4
TITLE_CHARS = 100


def suggested_prompts() -> list[dict[str, str]]:
    """The first example questions, each its own title (they are short enough to read whole)."""
    return [{"title": q, "message": q} for q in EXAMPLE_QUESTIONS[:MAX_PROMPTS]]


def thread_title(question: str) -> str:
    """The thread's title in the assistant's history: the question, on one line."""
    return trim(one_line(question), TITLE_CHARS)
