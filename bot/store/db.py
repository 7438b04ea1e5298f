"""Engine construction and schema migrations (Alembic) that work for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from bot.store.tables import FEEDBACK_TABLE, metadata

log = logging.getLogger(__name__)

# An arbitrary constant: the PostgreSQL advisory lock that serialises schema creation between replicas.
_SCHEMA_LOCK_KEY = 0x77686F64  # "whod"

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"  # the tables as today's code created them before migrations

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
    vanished = threading.Event()  # set once a replacement was seen; schema creation stays upgrade_schema's job

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
        # The tables are the newest schema: record that revision, so a later upgrade does not run it again.
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
        cursor.execute(
            "INSERT INTO alembic_version SELECT ? WHERE NOT EXISTS (SELECT 1 FROM alembic_version)",
            (head_revision(),),
        )
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
                elif conn.dialect.name == "sqlite":
                    # pysqlite runs DDL outside any transaction: without the write lock taken first, two
                    # processes can each record a revision (two rows in alembic_version) mid-chain.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
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
