"""Engine construction and schema creation that works for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from bot.store.tables import metadata

log = logging.getLogger(__name__)

# An arbitrary constant: the PostgreSQL advisory lock that serialises schema creation between replicas.
_SCHEMA_LOCK_KEY = 0x77686F64  # "whod"

_ready: weakref.WeakSet[Engine] = weakref.WeakSet()
_ready_lock = threading.Lock()
_sqlite_files: weakref.WeakKeyDictionary[Engine, Path] = weakref.WeakKeyDictionary()

T = TypeVar("T")


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
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _watch_sqlite_file(engine, Path(database).expanduser())
    event.listen(engine, "handle_error", _discard_after_operational_error)
    return engine


def _discard_after_operational_error(ctx: ExceptionContext) -> None:
    """A connection that hit an operational error (read-only file, I/O error, lost server) is not reused.

    Treating it as a disconnect makes SQLAlchemy drop it and every other pooled connection: a SQLite
    connection opened while the file was read-only stays read-only for its whole life otherwise.
    """
    if not ctx.is_pre_ping and isinstance(ctx.sqlalchemy_exception, OperationalError):
        ctx.is_disconnect = True


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _watch_sqlite_file(engine: Engine, path: Path) -> None:
    """Connections remember which file (device, inode) they opened; one whose file was deleted or replaced
    (`make clean` removing var/ under a running server) is discarded at checkout instead of writing into an
    unlinked file; after that, new connections make sure the tables exist in the file they open."""
    _sqlite_files[engine] = path
    vanished = threading.Event()  # set once a replacement was seen; schema creation stays create_schema's job

    @event.listens_for(engine, "do_connect")
    def before_connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def after_connect(dbapi_connection: Any, record: Any) -> None:
        if vanished.is_set():  # the file may be brand new: give it the tables (IF NOT EXISTS, so races are fine)
            _create_tables_raw(engine, dbapi_connection)
        record.info["sqlite_file"] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("sqlite_file") != _file_identity(path):
            vanished.set()
            log.warning("the SQLite file %s was deleted or replaced: reconnecting to the file now there", path)
            raise DisconnectionError("SQLite file deleted or replaced")


def _create_tables_raw(engine: Engine, dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for table in metadata.sorted_tables:
            cursor.execute(str(CreateTable(table, if_not_exists=True).compile(dialect=engine.dialect)))
            for index in table.indexes:
                cursor.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=engine.dialect)))
        dbapi_connection.commit()
    finally:
        cursor.close()


def durable_write(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run `work` in a transaction and commit it; on a SQLite file, also make sure the file committed to is
    still the database file afterwards (it can be deleted mid-write), writing once more if it is not."""
    path = _sqlite_files.get(engine)
    for _ in range(2):
        with engine.begin() as conn:
            result = work(conn)
            info = conn.info
        if path is None or info.get("sqlite_file") == _file_identity(path):
            return result
        log.warning("a write went to a SQLite file deleted meanwhile (%s): writing it again", path)
    raise OperationalError("durable write", None, RuntimeError(f"the SQLite file {path} keeps vanishing"))


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
