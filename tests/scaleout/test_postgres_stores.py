"""The stores on a real PostgreSQL, where it differs from SQLite: the harness is a real local server, threads
racing to create the schema, the advisory lock that serialises it, and reconnection after a restart.

The checks that hold on every backend (schema idempotent and raced by processes, atomic claims from threads
and processes, feedback, Slack installations and OAuth state) run on SQLite and on this PostgreSQL in
tests/store/test_store.py.
"""

from __future__ import annotations

import logging
import threading

import psycopg
import pytest
from sqlalchemy import inspect, text

from bot.store import EventDedupe, FeedbackStore, make_engine, upgrade_schema
from bot.store.tables import metadata
from tests.fakes.races import race
from tests.fakes.waiting import eventually

pytestmark = pytest.mark.postgres

TABLES = sorted([*metadata.tables, "alembic_version"])  # the schema, and the revision it is at


def public_tables(url: str) -> list[str]:
    """Table names in the public schema as PostgreSQL's catalogue lists them (duplicates would show)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public'"))
            return sorted(r[0] for r in rows)
    finally:
        engine.dispose()


# --- the harness itself ------------------------------------------------------------------------------


def test_the_server_is_real_local_and_not_root(postgres, pg_url):
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW listen_addresses")).scalar() == "127.0.0.1"
        assert conn.execute(text("SELECT version()")).scalar().startswith("PostgreSQL ")
        assert conn.execute(text("SHOW unix_socket_directories")).scalar() == str(postgres.socket_dir)
    engine.dispose()
    owner = (postgres.data / "PG_VERSION").stat().st_uid
    assert owner != 0  # the server refuses to run as root; it runs as the postgres user


# --- schema ------------------------------------------------------------------------------------------


def test_threads_creating_the_schema_at_the_same_moment_all_succeed(pg_url):
    engines = [make_engine(pg_url) for _ in range(8)]
    for engine in engines:
        engine.connect().close()  # connections open before the barrier, so the CREATEs really overlap
    race(upgrade_schema, engines, timeout=60)  # raises the first thread's error, if any
    assert public_tables(pg_url) == TABLES
    assert set(inspect(engines[0]).get_table_names()) == set(TABLES)


def test_schema_creation_is_serialised_by_an_advisory_lock(postgres, pg_url):
    """Why the races above are safe: upgrade_schema waits for the schema lock before it checks anything."""
    from bot.store.db import _SCHEMA_LOCK_KEY

    dsn = f"host=127.0.0.1 port={postgres.port} user=whodecides dbname={pg_url.rsplit('/', 1)[1]}"
    with psycopg.connect(dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK_KEY,))  # another replica is creating
        errors: list[BaseException] = []

        def create() -> None:
            try:
                upgrade_schema(make_engine(pg_url))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        thread = threading.Thread(target=create)
        thread.start()
        try:
            eventually(
                lambda: (
                    holder.execute(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    ).fetchone()[0]
                    == 1
                ),
                what="upgrade_schema waiting on the schema lock",
            )
            assert public_tables(pg_url) == []  # nothing was created while the lock was held
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK_KEY,))
            thread.join(timeout=60)
    assert errors == []
    assert public_tables(pg_url) == TABLES


# --- restart -----------------------------------------------------------------------------------------


def test_stores_reconnect_after_a_restart(postgres_factory, caplog):
    pg = postgres_factory()
    url = pg.create_database()
    engine = make_engine(url)
    feedback, dedupe = FeedbackStore(engine), EventDedupe(engine)
    assert feedback.record(platform="slack", user_id="U", question="q", recommendation="PM", vote="up")
    assert dedupe.claim("EvA") is True

    pg.stop()
    with caplog.at_level(logging.ERROR):
        assert feedback.record(platform="slack", user_id="U", question="q", recommendation="PM", vote="up") is False
        assert dedupe.claim("EvDown") is True  # answering beats silence
        assert dedupe.claim("EvDown") is False  # but never twice from this process
    assert "feedback LOST" in caplog.text and "degraded dedupe" in caplog.text
    with pytest.raises(Exception):  # noqa: B017 - a report fails loudly, it does not invent numbers
        feedback.summary()

    pg.start()
    # The pool's connections died with the server; pre-ping replaces them without any call from us.
    assert dedupe.claim("EvAfter") is True
    assert EventDedupe(make_engine(url)).claim("EvAfter") is False  # stored in the database, not only in memory
    assert EventDedupe(make_engine(url)).claim("EvA") is False  # claimed before the restart, still there
    assert feedback.record(platform="slack", user_id="U", question="q", recommendation="PM", vote="down")
    assert feedback.summary() == {"up": 1, "down": 1}  # the same engine, no new one: the pool reconnected
    assert dedupe.claim("EvA") is False
    assert EventDedupe(make_engine(url)).claim("EvB") is True
    assert dedupe.claim("EvB") is False
    with psycopg.connect(f"host=127.0.0.1 port={pg.port} user=whodecides dbname=postgres") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
