"""👍/👎 feedback from every platform, in one table."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, func, select, update

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

    def add_reason(
        self,
        *,
        platform: str,
        workspace: str | None,
        user_id: str,
        answer_id: str,
        reason: str,
        comment: str | None = None,
    ) -> bool:
        """Attach why to a 👎 already stored (Slack's modal comes after the click). Only that user's vote on
        that answer in that workspace is touched. False when there is no such vote or it could not be
        written (logged); never raises. An unknown reason is stored as "other"."""
        values = {
            "reason": reason if reason in REASONS else "other",
            "comment": clean_text(comment, COMMENT_CHARS) if comment and comment.strip() else None,
        }
        workspace_is = (
            feedback.c.workspace.is_(None) if workspace is None else feedback.c.workspace == clean_text(workspace, 128)
        )
        query = (
            update(feedback)
            .where(
                feedback.c.platform == clean_text(platform, 16),
                workspace_is,
                feedback.c.user_id == clean_text(user_id, 128),
                feedback.c.answer_id == clean_text(answer_id, 64),
                feedback.c.vote == "down",
            )
            .values(**values)
        )
        try:
            ensure_schema(self.engine)
            changed = durable_write(self.engine, lambda conn: conn.execute(query).rowcount)
        except Exception as exc:  # noqa: BLE001 - the caller must never see a DB failure
            log.error("feedback reason LOST (database unavailable): platform=%s: %s", platform, describe(exc))
            return False
        if not changed:
            log.warning("feedback reason not stored: no 👎 by that user on that answer (platform=%s)", platform)
        return bool(changed)

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

    def reasons(self) -> list[tuple[str, str, int]]:
        """(platform, reason, count) for the 👎 that say why, for `whodecides feedback`. Raises if unreadable."""
        ensure_schema(self.engine)
        cols = (feedback.c.platform, feedback.c.reason)
        query = select(*cols, func.count()).where(feedback.c.reason.is_not(None)).group_by(*cols).order_by(*cols)
        with self.engine.connect() as conn:
            return [(str(p), str(r), int(n)) for p, r, n in conn.execute(query)]

    def comments(self, limit: int = 20) -> list[tuple[str, str, str, str]]:
        """The newest (platform, reason, question, comment) written with a 👎, newest first. Raises if unreadable."""
        ensure_schema(self.engine)
        cols = (feedback.c.platform, feedback.c.reason, feedback.c.question, feedback.c.comment)
        query = (
            select(*cols)
            .where(feedback.c.comment.is_not(None))
            .order_by(feedback.c.created_at.desc(), feedback.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(str(p), str(r or "other"), str(q), str(c)) for p, r, q, c in conn.execute(query)]
