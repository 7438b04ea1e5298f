"""Teams' own 👍/👎 (the feedback loop) translated into a vote the Conversation stores.

Teams sends `message/submitAction` with `{reaction: like|dislike, feedback: '{"feedbackText": "..."}'}` and
`replyToId`, the id of the bot's message: nothing about the answer itself. So the adapter remembers, per sent
answer, the question, the recommendation and the answer id (RecentAnswers), bounded and in memory.

Teams' dialog asks only for free text ("What did you like/dislike?"), so the reason the store keeps for a 👎 is
read from those words (reason_of): plain phrases for each of the store's reasons, "other" when none fits,
none at all when the user wrote nothing. The words themselves are always kept as the comment.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass

REACTIONS = {"like": "up", "dislike": "down"}
REMEMBERED_ANSWERS = 10_000  # ~1 KB each: the answers people still vote on, per process
UNREMEMBERED_QUESTION = "(unknown: the answer was sent before a restart or by another server)"

# Checked in this order; the first that matches is the reason.
_REASON_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "misunderstood",
        re.compile(
            r"misunderst|did ?n[o']?t understand|not what i (asked|meant)|wrong question|"
            r"misread|answered a different|(my|the) question was",
            re.IGNORECASE,
        ),
    ),
    (
        "wrong_role",
        re.compile(
            r"wrong (role|person|owner|answer)|should (be|have been) (the )?(po|pm|product|team|dev)|"
            r"(it'?s|it is|is actually|really) the (po|pm|product|team|dev)|not the (po|pm|product)|"
            r"(po|pm|product owner|product manager|team) decides",
            re.IGNORECASE,
        ),
    ),
    (
        "wrong_reason",
        re.compile(r"reason|rationale|explanation|\bwhy\b|source|citation|passage|quote", re.IGNORECASE),
    ),
)


@dataclass(frozen=True)
class FeedbackVote:
    vote: str  # "up" | "down"
    reason: str | None
    comment: str | None


def read_feedback(reaction: str, feedback: str | None) -> FeedbackVote | None:
    """The vote in a feedback loop submit; None for a reaction Teams does not define."""
    vote = REACTIONS.get(reaction)
    if vote is None:
        return None
    comment = feedback_text(feedback)
    return FeedbackVote(vote, reason_of(comment) if vote == "down" else None, comment or None)


def feedback_text(feedback: str | None) -> str:
    """The user's words: Teams sends a JSON string `{"feedbackText": ...}`; anything else is taken as typed."""
    raw = (feedback or "").strip()
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    if isinstance(parsed, dict):
        text = parsed.get("feedbackText")
        return text.strip() if isinstance(text, str) else ""
    return parsed.strip() if isinstance(parsed, str) else raw


def reason_of(comment: str) -> str | None:
    """What was wrong, in the store's words, from what the user wrote (None when they wrote nothing)."""
    if not comment.strip():
        return None
    for reason, pattern in _REASON_PATTERNS:
        if pattern.search(comment):
            return reason
    return "other"


@dataclass(frozen=True)
class SentAnswer:
    question: str
    recommendation: str
    answer_id: str


class RecentAnswers:
    """The last answers sent, by (conversation, message id): what a feedback loop submit refers back to."""

    def __init__(self, limit: int = REMEMBERED_ANSWERS) -> None:
        self.limit = limit
        self._sent: OrderedDict[tuple[str, str], SentAnswer] = OrderedDict()

    def remember(self, conversation_id: str, message_id: str, answer: SentAnswer) -> None:
        key = (_base(conversation_id), message_id)
        self._sent[key] = answer
        self._sent.move_to_end(key)
        while len(self._sent) > self.limit:
            self._sent.popitem(last=False)

    def recall(self, conversation_id: str, message_id: str | None) -> SentAnswer | None:
        return self._sent.get((_base(conversation_id), message_id)) if message_id else None


def _base(conversation_id: str) -> str:
    """A channel thread's conversation id without its `;messageid=`: the same message, whichever form it has."""
    return conversation_id.split(";messageid=")[0]
