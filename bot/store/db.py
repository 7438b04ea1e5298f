"""Engine construction and schema creation that works for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.store.tables import metadata

log = logging.getLogger(__name__)

# An arbitrary constant: the PostgreSQL advisory lock that serialises schema creation between replicas.
_SCHEMA_LOCK_KEY = 0x77686F64  # "whod"

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


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer between processes
    except Exception:  # noqa: BLE001 - a read-only or odd file system: keep the default journal
        pass
    finally:
        cursor.close()


def create_schema(engine: Engine, *, attempts: int = 5) -> None:
    """Create every table if missing. Idempotent, and safe when two processes start at the same moment.

    PostgreSQL: an advisory transaction lock serialises the check-and-create. Elsewhere (SQLite), a racing
    CREATE that loses ("already exists") is retried, and the retry's existence check then sees the table.
    """
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
                metadata.create_all(conn, checkfirst=True)
            break
        except SQLAlchemyError as exc:
            if attempt == attempts or not _lost_a_create_race(exc):
                raise
            time.sleep(0.05 * attempt)
    with _ready_lock:
        _ready.add(engine)


def ensure_schema(engine: Engine) -> None:
    """create_schema once per engine per process; cheap after the first success.

    Stores call this before each operation so a database that was down at start is set up when it returns.
    """
    if engine in _ready:
        return
    create_schema(engine)


def _lost_a_create_race(exc: SQLAlchemyError) -> bool:
    message = str(exc).lower()
    return "already exists" in message or "duplicate" in message or "locked" in message
