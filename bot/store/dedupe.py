"""Exactly-once claims of Slack event ids across processes sharing one database."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from bot.store.db import durable_write, ensure_schema
from bot.store.sanitize import clean_text, describe, is_input_error
from bot.store.tables import event_dedupe

log = logging.getLogger(__name__)

_LOCAL_MAX = 50_000  # ids remembered in process (covers Slack's retry window many times over)
_PRUNE_EVERY = 1_000  # claims between deletions of old rows
_KEEP = timedelta(days=1)  # Slack retries within minutes; a day is plenty


class EventDedupe:
    """claim(event_id) is True exactly once per id.

    The database decides: a primary key plus INSERT ... ON CONFLICT DO NOTHING (the dialect's own insert),
    so two replicas receiving the same event at the same instant cannot both win. When the database is
    down, answering beats silence: the claim succeeds with a logged "degraded dedupe" error, and an
    in-process set still keeps this process from replying twice.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._claims = 0

    def claim(self, event_id: str) -> bool:
        event_id = clean_text(event_id, 128)
        # Remembered in process first: a duplicate arriving while the database is slow or down is refused
        # here, and the database only has to settle races between processes.
        with self._lock:
            if event_id in self._local:
                return False
            self._local[event_id] = None
            while len(self._local) > _LOCAL_MAX:
                self._local.popitem(last=False)
        try:
            return self._claim_in_db(event_id)
        except Exception as exc:  # noqa: BLE001 - never let a DB failure silence the bot
            if is_input_error(exc):
                log.warning("event id refused by the database (%s): deduplicated in this process only", describe(exc))
            else:
                log.error("degraded dedupe: database unavailable, deduplicating in this process: %s", describe(exc))
            return True

    def _claim_in_db(self, event_id: str) -> bool:
        ensure_schema(self.engine)
        now = datetime.now(UTC)
        values = {"event_id": event_id, "claimed_at": now}
        dialect = self.engine.dialect.name
        won = durable_write(self.engine, lambda conn: self._insert(conn, values, dialect))
        self._maybe_prune(now)
        return won

    @staticmethod
    def _insert(conn: Connection, values: dict[str, object], dialect: str) -> bool:
        if dialect in ("postgresql", "sqlite"):
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            else:
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            # RETURNING, not rowcount: psycopg 3 under SQLAlchemy 2.1 reports rowcount -1 for this INSERT.
            stmt = (
                dialect_insert(event_dedupe)
                .values(**values)
                .on_conflict_do_nothing(index_elements=[event_dedupe.c.event_id])
                .returning(event_dedupe.c.event_id)
            )
            return conn.execute(stmt).first() is not None
        try:
            with conn.begin_nested():
                conn.execute(insert(event_dedupe).values(**values))
            return True
        except IntegrityError:
            return False

    def _maybe_prune(self, now: datetime) -> None:
        self._claims += 1
        if self._claims % _PRUNE_EVERY:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(event_dedupe).where(event_dedupe.c.claimed_at < now - _KEEP))
        except Exception as exc:  # noqa: BLE001 - pruning is housekeeping only
            log.warning("could not prune old event ids: %s", exc)
