"""👍/👎 feedback from every platform, in one table."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, func, select

from bot.store.db import durable_write, ensure_schema
from bot.store.sanitize import clean_text, describe, is_input_error
from bot.store.tables import feedback

log = logging.getLogger(__name__)

VOTES = ("up", "down")
# Why a 👎 was given: the same short list on Slack's modal and in Teams' feedback loop.
REASONS = ("wrong_role", "wrong_reason", "misunderstood", "other")
COMMENT_CHARS = 2000


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self,
        *,
        platform: str,
        user_id: str,
        question: str,
        recommendation: str,
        vote: str,
        workspace: str | None = None,
        answer_id: str | None = None,
        reason: str | None = None,
        comment: str | None = None,
    ) -> bool:
        """Store one vote, with why when the platform sends it at once (Teams). False (with a logged error)
        when it could not be stored; never raises. An unknown reason is stored as "other"."""
        if vote not in VOTES:
            log.error("feedback not stored: vote must be one of %s, got %r", VOTES, vote)
            return False
        row = {
            "platform": clean_text(platform, 16),
            "workspace": None if workspace is None else clean_text(workspace, 128),
            "user_id": clean_text(user_id, 128),
            "question": clean_text(question),
            "recommendation": clean_text(recommendation, 16),
            "vote": vote,
            "answer_id": None if answer_id is None else clean_text(answer_id, 64),
            "reason": None if reason is None else (reason if reason in REASONS else "other"),
            "comment": clean_text(comment, COMMENT_CHARS) if comment and comment.strip() else None,
        }
        try:
            ensure_schema(self.engine)
            durable_write(self.engine, lambda conn: conn.execute(feedback.insert().values(**row)))
            return True
        except Exception as exc:  # noqa: BLE001 - the caller must never see a DB failure
            # Neither the question nor the user id goes to the log: only what tells the operator what broke.
            if is_input_error(exc):
                log.warning(
                    "feedback not stored: the database refused the input (platform=%s vote=%s): %s",
                    row["platform"],
                    vote,
                    describe(exc),
                )
            else:
                log.error(
                    "feedback LOST (database unavailable): platform=%s vote=%s recommendation=%s: %s",
                    row["platform"],
                    vote,
                    row["recommendation"],
                    describe(exc),
                )
            return False

    def summary(self, platform: str | None = None) -> dict[str, int]:
        """Counts per vote, e.g. {"up": 3, "down": 1}. Raises if the database cannot be read (for reports)."""
        ensure_schema(self.engine)
        query = select(feedback.c.vote, func.count()).group_by(feedback.c.vote)
        if platform is not None:
            query = query.where(feedback.c.platform == platform)
        counts = dict.fromkeys(VOTES, 0)
        with self.engine.connect() as conn:
            for vote, count in conn.execute(query):
                counts[vote] = int(count)
        return counts

    def report(self) -> list[tuple[str, str, str, int]]:
        """(platform, recommendation, vote, count) rows, for `whodecides feedback`. Raises if unreadable."""
        ensure_schema(self.engine)
        cols = (feedback.c.platform, feedback.c.recommendation, feedback.c.vote)
        query = select(*cols, func.count()).group_by(*cols).order_by(*cols)
        with self.engine.connect() as conn:
            return [(str(p), str(r), str(v), int(n)) for p, r, v, n in conn.execute(query)]
