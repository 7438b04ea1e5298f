"""Cards of the "Who decides this?" message action (pure: no I/O).

The answer card goes into the user's compose box and is sent by the user, so it may land where the bot is not
installed: it has no Action.Submit (nothing would receive it), only the Why? detail, which opens in place.
"""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    ShowCardAction,
    SubmitAction,
    TextBlock,
)

from bot.render.teams import (
    CARD_VERSION,
    PASSAGE_CHARS,
    QUESTION_SHOWN_CHARS,
    RATIONALE_CHARS,
    answer_facts,
    answer_text,
    shown_passages,
    source_text,
    why_card,
)
from bot.render.teams import _plain as plain_text  # user text as a TextRun: never read as markdown
from bot.results import EXAMPLE_QUESTIONS, Answer
from bot.texts import one_line, trim

SEND_ACTION = "whodecides.extension.send"  # the dialog's button: data carries the question to answer again
DIALOG_TITLE = "Who decides this?"


def extension_card(answer: Answer) -> AdaptiveCard:
    """The answer to a message, ready to send: the role first, then why, and the passages it rests on."""
    body: list[CardElement] = [
        TextBlock(text=answer.headline, size="Large", weight="Bolder", wrap=True),
        plain_text(f"About: {trim(one_line(answer.question), QUESTION_SHOWN_CHARS)}", subtle=True),
    ]
    if answer.recommendation == "UNKNOWN":
        body.append(TextBlock(text=answer.hint or "I answer who decides product questions.", wrap=True))
        body.append(plain_text("For example: " + " / ".join(EXAMPLE_QUESTIONS[:3]), subtle=True))
    else:
        body.append(answer_facts(answer))
        body.append(TextBlock(text=trim(one_line(answer.rationale), RATIONALE_CHARS), wrap=True))
        for n, passage in enumerate(shown_passages(answer), start=1):
            body.append(plain_text(f"[{n}] “{trim(one_line(passage.text), PASSAGE_CHARS)}”", italic=True))
            body.append(TextBlock(text=source_text(passage), size="Small", is_subtle=True, wrap=True))
    actions: list[Any] = []
    if answer.rules or answer.recommendation != "UNKNOWN":
        actions.append(ShowCardAction(title="Why?", card=why_card(answer)))
    return AdaptiveCard(
        version=CARD_VERSION, body=body, actions=actions, fallback_text=answer_text(answer), speak=answer.headline
    )


def dialog_card(answer: Answer, question: str) -> AdaptiveCard:
    """The dialog the action opens: the answer, and a button that puts it in the compose box to send."""
    card = extension_card(answer)
    send = SubmitAction(title="Add to the conversation", data={"action": SEND_ACTION, "question": question})
    return card.model_copy(update={"actions": [*(card.actions or []), send]})
