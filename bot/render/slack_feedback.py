"""The 👎 modal ("What was wrong?") and what it shows once sent (pure: no I/O).

Contract with bot/slack/listeners.py: the view's `callback_id` is REASON_VIEW, its private_metadata is a
`button_value` carrying the answer id ("a") and the channel ("c"), and the state holds one of
bot.store.feedback.REASONS under REASON_BLOCK plus optional free text under COMMENT_BLOCK.
"""

from __future__ import annotations

from typing import Any

from bot.render.slack import button_value, escape, parse_value, trim

REASON_VIEW = "whodecides_feedback_reason"
REASON_BLOCK = "reason"
COMMENT_BLOCK = "comment"
COMMENT_CHARS = 2000  # what FeedbackStore keeps
QUESTION_SHOWN_CHARS = 200

# The store's REASONS, in the words a user reads.
REASON_LABELS = {
    "wrong_role": "Wrong role",
    "wrong_reason": "Right role, but the wrong reason",
    "misunderstood": "You didn't understand my question",
    "other": "Other",
}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def render_reason_modal(*, answer_id: str, question: str, channel: str | None) -> dict[str, Any]:
    """The modal a 👎 opens. Closing it keeps the vote; sending it adds why."""
    options = [{"text": _plain(label), "value": reason} for reason, label in REASON_LABELS.items()]
    return {
        "type": "modal",
        "callback_id": REASON_VIEW,
        "title": _plain("What was wrong?"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "private_metadata": button_value(a=answer_id, c=channel or ""),
        "blocks": [
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Answer to: " + escape(trim(question, QUESTION_SHOWN_CHARS))}],
            },
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": _plain("What was wrong?"),
                "element": {"type": "radio_buttons", "action_id": REASON_BLOCK, "options": options},
            },
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "optional": True,
                "label": _plain("Anything else? (optional)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": COMMENT_BLOCK,
                    "multiline": True,
                    "max_length": COMMENT_CHARS,
                    "placeholder": _plain("Who should decide it, or what you meant"),
                },
            },
        ],
    }


def read_reason_modal(view: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """(answer id, channel, reason, comment) from a submitted modal; None for whatever is missing."""
    meta = parse_value(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    picked = ((values.get(REASON_BLOCK) or {}).get(REASON_BLOCK) or {}).get("selected_option") or {}
    comment = ((values.get(COMMENT_BLOCK) or {}).get(COMMENT_BLOCK) or {}).get("value")
    answer_id, channel, reason = meta.get("a"), meta.get("c"), picked.get("value")
    return (
        answer_id if isinstance(answer_id, str) and answer_id else None,
        channel if isinstance(channel, str) and channel else None,
        reason if isinstance(reason, str) and reason else None,
        comment if isinstance(comment, str) and comment.strip() else None,
    )


def render_reason_done(text: str) -> dict[str, Any]:
    """What the modal turns into once sent: the thank-you, or why the reason could not be kept."""
    return {
        "type": "modal",
        "callback_id": REASON_VIEW,
        "title": _plain("What was wrong?"),
        "close": _plain("Close"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}}],
    }
