"""The Conversation: everything that is the same on every platform.

Adapters translate a payload into (text, Context), await `reply`, and render the Reply; they never see the
engine. Help, commands, the error ladder, votes and their thank-yous, and the answer pool live here once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, cast

from bot import texts
from bot.conversation.context import Context
from bot.conversation.reply import AnswererLike, ContextAnswererLike, Reply
from bot.errors import UsageError, WhodecidesError
from bot.results import HEADLINES

if TYPE_CHECKING:  # the type only: the conversation is handed its store, and never loads SQLAlchemy itself
    from bot.store.feedback import FeedbackStore

log = logging.getLogger(__name__)

Command = Callable[[str, Context], Reply]  # (the words after the command word, where it was typed) → Reply
VOTES = ("up", "down")
VOTE_QUESTION_CHARS = 1000  # what a vote keeps of its question, on every platform


def answer_workers() -> int:
    return max(2, min(4, os.cpu_count() or 2))


class Conversation:
    """Shared by every adapter of a process, so all platforms draw on one bounded answer pool.

    The answerer is CPU-bound: it runs on the pool's threads, never on the event loop nor on the default
    executor, which Slack's dedupe claims and the stores' calls use.
    """

    def __init__(
        self,
        answerer: AnswererLike,
        votes: FeedbackStore | None = None,
        *,
        commands: Mapping[str, Command] | None = None,
        workers: int | None = None,
    ) -> None:
        self.answerer = answerer
        self.votes = votes
        self.commands: dict[str, Command] = {k.lower(): v for k, v in (commands or {}).items()}
        self._pool = ThreadPoolExecutor(max_workers=workers or answer_workers(), thread_name_prefix="answer")

    # ------------------------------------------------------------------ replies
    def immediate(self, text: str) -> Reply | None:
        """The reply when it needs no work (blank text, a help word), else None: adapters that must
        acknowledge within a deadline can answer these in the acknowledgement itself."""
        return Reply.usage() if not text.strip() or texts.is_help(text) else None

    def reply_now(self, text: str, context: Context, background: str = "") -> Reply:
        """The reply to `text`, computed in the calling thread (the CLI; `reply` runs this on the pool).

        `background` is what was said before (a thread's earlier messages): context for the answer, never
        the question itself."""
        text = texts.one_line(text or "")
        quick = self.immediate(text)
        if quick is not None:
            return quick
        word, _, rest = text.partition(" ")
        command = self.commands.get(word.lower())
        try:
            if command is not None:
                return command(rest.strip(), context)
            if background.strip():
                return Reply.of(cast(ContextAnswererLike, self.answerer).answer(text, context=background))
            return Reply.of(self.answerer.answer(text))
        except UsageError as exc:
            return Reply.usage(exc.message)
        except WhodecidesError as exc:
            return Reply.apology(exc.message)
        except Exception:  # never a stack trace to a user, never silence
            log.exception("%s: the answerer failed on a %d-character message", context.platform, len(text))
            return Reply.apology(texts.SORRY)

    async def reply(self, text: str, context: Context, *, background: str = "") -> Reply:
        quick = self.immediate(text or "")
        if quick is not None:
            return quick
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.reply_now, text, context, background)

    def empty_message(self) -> Reply:
        """ "Who decides this?" on a message without text (a file, an image)."""
        return Reply.notice(texts.EMPTY_MESSAGE)

    # ------------------------------------------------------------------ votes
    def record_vote(
        self,
        vote: str,
        context: Context,
        *,
        question: str,
        recommendation: str,
        answer_id: str | None,
        reason: str | None = None,
        comment: str | None = None,
    ) -> Reply:
        """Store a 👍/👎 on an answer, with why when the platform says (`reason`: one of the store's REASONS,
        anything else kept as "other"; `comment`: the user's own words). The thank-you, or why it could not
        be kept, to show the voter."""
        if vote not in VOTES or not question.strip():
            return Reply.apology(texts.LOST_BUTTON)
        stored = self.votes is not None and self.votes.record(
            platform=context.platform,
            user_id=context.user or "unknown",
            question=question[:VOTE_QUESTION_CHARS],
            # A button's value comes back from the client: only our own labels are stored.
            recommendation=recommendation if recommendation in HEADLINES else "UNKNOWN",
            vote=vote,
            workspace=context.workspace,
            answer_id=answer_id or None,
            reason=reason or None,
            comment=comment or None,
        )
        return Reply.notice(texts.THANKS[vote] if stored else texts.FEEDBACK_LOST)

    async def vote(
        self,
        vote: str,
        context: Context,
        *,
        question: str,
        recommendation: str,
        answer_id: str | None,
        reason: str | None = None,
        comment: str | None = None,
    ) -> Reply:
        """record_vote off the event loop (a database write)."""
        return await asyncio.to_thread(
            functools.partial(
                self.record_vote,
                vote,
                context,
                question=question,
                recommendation=recommendation,
                answer_id=answer_id,
                reason=reason,
                comment=comment,
            )
        )

    def welcome(self) -> Reply:
        """The one greeting when the bot is added somewhere: who it is, and a few questions to try."""
        return Reply.welcome()

    def record_reason(self, context: Context, *, answer_id: str | None, reason: str, comment: str | None) -> Reply:
        """Why a 👎 was given, attached to that user's vote on that answer (in that workspace)."""
        stored = (
            bool(answer_id)
            and self.votes is not None
            and self.votes.add_reason(
                platform=context.platform,
                workspace=context.workspace,
                user_id=context.user or "unknown",
                answer_id=answer_id or "",
                reason=reason,
                comment=comment,
            )
        )
        return Reply.notice(texts.REASON_THANKS if stored else texts.REASON_LOST)

    async def give_reason(self, context: Context, *, answer_id: str | None, reason: str, comment: str | None) -> Reply:
        """record_reason off the event loop (a database write)."""
        return await asyncio.to_thread(self.record_reason, context, answer_id=answer_id, reason=reason, comment=comment)

    def lost_button(self) -> Reply:
        return Reply.apology(texts.LOST_BUTTON)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
