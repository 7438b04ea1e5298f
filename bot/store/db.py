"""Engine construction and schema migrations (Alembic) that work for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.store.tables import FEEDBACK_TABLE

log = logging.getLogger(__name__)

# An arbitrary constant: the PostgreSQL advisory lock that serialises schema creation between replicas.
_SCHEMA_LOCK_KEY = 0x77686F64  # "whod"

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"  # the tables as today's code created them before migrations

_ready: weakref.WeakSet[Engine] = weakref.WeakSet()
_ready_lock = threading.Lock()


def make_engine(url: str) -> Engine:
    """An Engine for DATABASE_URL. pool_pre_ping lets the pool drop dead connections after a DB restart."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    connect_args: dict[str, object] = {}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # Listeners run in worker threads; SQLite's own busy timeout covers two processes writing at once.
        connect_args = {"check_same_thread": False, "timeout": 15}
    elif backend == "postgresql":
        # Fail fast when the server is down so answers are not held up behind a hanging connect.
        connect_args = {"connect_timeout": 3}
    engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer between processes
    except sqlite3.Error as exc:  # a read-only or odd file system: keep the default journal, and say so
        log.warning("SQLite: WAL journal unavailable (%s); keeping the default journal", exc)
    finally:
        cursor.close()


def _alembic_config(script_location: str | Path | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location or MIGRATIONS))
    return config


@lru_cache(maxsize=8)
def head_revision(script_location: str | Path | None = None) -> str | None:
    return ScriptDirectory.from_config(_alembic_config(script_location)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_schema(engine: Engine, *, attempts: int = 5, script_location: str | Path | None = None) -> None:
    """Migrate the database to the newest revision (Alembic). Idempotent, and safe when two processes start
    at the same moment.

    A database created before migrations existed (its tables there, no alembic_version) is stamped at the
    first revision, then upgraded in place. PostgreSQL: an advisory transaction lock serialises replicas, so
    one migrates and the others then find it done. SQLite: a racing CREATE that loses is retried.
    """
    if not _at_head(engine, script_location):
        _upgrade_locked(engine, attempts, script_location)
    with _ready_lock:
        _ready.add(engine)


def _at_head(engine: Engine, script_location: str | Path | None) -> bool:
    """The common case (every store's first call, every replica but the first): one read, no lock."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current is not None and current == head_revision(script_location)


def _upgrade_locked(engine: Engine, attempts: int, script_location: str | Path | None) -> None:
    config = _alembic_config(script_location)
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
                _upgrade(conn, config)
            return
        except SQLAlchemyError as exc:
            if attempt == attempts or not _lost_a_create_race(exc):
                raise
            time.sleep(0.05 * attempt)


def _upgrade(conn: Connection, config: Config) -> None:
    """Under the lock: stamp a database from before migrations, then run what is missing (maybe nothing,
    when another replica got there first)."""
    config.attributes["connection"] = conn
    if MigrationContext.configure(conn).get_current_revision() is None and inspect(conn).has_table(FEEDBACK_TABLE):
        log.info("database created before migrations: stamping it at revision %s", FIRST_REVISION)
        command.stamp(config, FIRST_REVISION)
    before = MigrationContext.configure(conn).get_current_revision()
    command.upgrade(config, "head")
    after = MigrationContext.configure(conn).get_current_revision()
    if after != before:
        log.info("database schema migrated from revision %s to %s", before or "none", after)


def ensure_schema(engine: Engine) -> None:
    """upgrade_schema once per engine per process; cheap after the first success.

    Stores call this before each operation so a database that was down at start is set up when it returns.
    """
    if engine in _ready:
        return
    upgrade_schema(engine)


def _lost_a_create_race(exc: SQLAlchemyError) -> bool:
    message = str(exc).lower()
    # "unique": two SQLite processes both recorded the revision (SQLite DDL is not transactional here).
    return any(word in message for word in ("already exists", "duplicate", "locked", "unique"))
