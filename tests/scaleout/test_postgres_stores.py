"""Every store on a real PostgreSQL: schema creation (idempotent, raced by processes and threads), atomic
dedupe (threads and processes), feedback, Slack installations and OAuth state, and reconnection after a restart."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from datetime import UTC, datetime

import psycopg
import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import inspect, text

from bot.store import (
    AsyncInstallationStoreAdapter,
    AsyncOAuthStateStoreAdapter,
    EventDedupe,
    FeedbackStore,
    build_installation_store,
    build_state_store,
    create_schema,
    make_engine,
)
from bot.store.tables import metadata
from tests.fakes.waiting import eventually
from tests.scaleout.replicas import ROOT

pytestmark = pytest.mark.postgres

TABLES = sorted(metadata.tables)


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


def test_create_schema_is_idempotent_and_keeps_data(pg_url):
    engine = make_engine(pg_url)
    create_schema(engine)
    assert FeedbackStore(engine).record(platform="slack", user_id="U1", question="q", recommendation="PM", vote="up")
    create_schema(engine)
    create_schema(make_engine(pg_url))  # another process's engine
    assert public_tables(pg_url) == TABLES
    assert FeedbackStore(engine).summary() == {"up": 1, "down": 0}
    assert set(TABLES) >= {"whodecides_feedback", "whodecides_event_dedupe", "slack_bots", "slack_installations"}


RACE_SCRIPT = """
import sys
from bot.store import create_schema, make_engine
engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()  # a barrier across processes: everyone is connected, then all go at once
create_schema(engine)
print("ok", flush=True)
"""


def test_processes_creating_the_schema_at_the_same_moment_all_succeed(pg_url):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_SCRIPT, pg_url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    assert public_tables(pg_url) == TABLES  # each table exists, once


def test_threads_creating_the_schema_at_the_same_moment_all_succeed(pg_url):
    engines = [make_engine(pg_url) for _ in range(8)]
    for engine in engines:
        engine.connect().close()  # connections open before the barrier, so the CREATEs really overlap
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def create(engine) -> None:  # noqa: ANN001
        try:
            barrier.wait(timeout=30)
            create_schema(engine)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert public_tables(pg_url) == TABLES
    assert set(inspect(engines[0]).get_table_names()) == set(TABLES)


def test_schema_creation_is_serialised_by_an_advisory_lock(postgres, pg_url):
    """Why the races above are safe: create_schema waits for the schema lock before it checks anything."""
    from bot.store.db import _SCHEMA_LOCK_KEY

    dsn = f"host=127.0.0.1 port={postgres.port} user=whodecides dbname={pg_url.rsplit('/', 1)[1]}"
    with psycopg.connect(dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK_KEY,))  # another replica is creating
        errors: list[BaseException] = []

        def create() -> None:
            try:
                create_schema(make_engine(pg_url))
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
                what="create_schema waiting on the schema lock",
            )
            assert public_tables(pg_url) == []  # nothing was created while the lock was held
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK_KEY,))
            thread.join(timeout=60)
    assert errors == []
    assert public_tables(pg_url) == TABLES


# --- dedupe --------------------------------------------------------------------------------------


def test_claim_is_true_exactly_once_per_id(pg_url):
    dedupe = EventDedupe(make_engine(pg_url))
    assert dedupe.claim("Ev1") is True
    assert dedupe.claim("Ev1") is False
    assert dedupe.claim("Ev2") is True
    # Another replica's engine: only the database can know.
    other = EventDedupe(make_engine(pg_url))
    assert other.claim("Ev1") is False
    assert other.claim("Ev3") is True


def test_simultaneous_claims_from_many_engines_have_one_winner_each(pg_url):
    create_schema(make_engine(pg_url))
    dedupes = [EventDedupe(make_engine(pg_url)) for _ in range(6)]
    ids = [f"EvRace{i}" for i in range(40)]
    barrier = threading.Barrier(len(dedupes))
    won: list[str] = []
    lock = threading.Lock()

    def worker(d: EventDedupe) -> None:
        barrier.wait(timeout=30)
        mine = [e for e in ids if d.claim(e)]
        with lock:
            won.extend(mine)

    threads = [threading.Thread(target=worker, args=(d,)) for d in dedupes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(won) == sorted(ids)


CLAIM_SCRIPT = """
import sys
from bot.store import EventDedupe, make_engine
d = EventDedupe(make_engine(sys.argv[1]))
print(",".join(e for e in sys.argv[2:] if d.claim(e)))
"""


def test_claims_across_processes_have_one_winner_per_id(pg_url):
    create_schema(make_engine(pg_url))
    ids = [f"EvPg{i}" for i in range(50)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, pg_url, *ids],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    won: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        won.extend(x for x in out.strip().split(",") if x)
    assert sorted(won) == sorted(ids)


# --- feedback --------------------------------------------------------------------------------------


def test_feedback_written_by_one_engine_is_read_by_another(pg_url):
    writer, reader = FeedbackStore(make_engine(pg_url)), FeedbackStore(make_engine(pg_url))
    question = "who decides " + "x" * 20_000 + " 🚀"
    assert writer.record(
        platform="slack", user_id="U1", question=question, recommendation="PM", vote="up", workspace="T1"
    )
    assert writer.record(platform="teams", user_id="29:1", question="q", recommendation="PO", vote="down")
    assert reader.summary() == {"up": 1, "down": 1}
    assert reader.summary(platform="teams") == {"up": 0, "down": 1}
    from bot.store.tables import feedback

    with reader.engine.connect() as conn:
        assert question in {r.question for r in conn.execute(feedback.select())}


# --- Slack installations and OAuth state --------------------------------------------------------


def test_installations_and_oauth_state_are_shared_between_replicas(pg_url):
    asyncio.run(_installations(pg_url))


async def _installations(url: str) -> None:
    engine_a, engine_b = make_engine(url), make_engine(url)
    create_schema(engine_a)
    on_a = AsyncInstallationStoreAdapter(build_installation_store(engine_a, client_id="111.222"))
    on_b = AsyncInstallationStoreAdapter(build_installation_store(engine_b, client_id="111.222"))
    await on_a.async_save(
        Installation(
            app_id="A1",
            enterprise_id=None,
            team_id="T1",
            team_name="Team",
            bot_token="xoxb-t1",
            bot_id="B1",
            bot_user_id="UB1",
            bot_scopes="commands,chat:write",
            user_id="U1",
            installed_at=datetime.now(UTC).timestamp(),
        )
    )
    bot = await on_b.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-t1"
    installation = await on_b.async_find_installation(enterprise_id=None, team_id="T1")
    assert installation is not None and installation.user_id == "U1"
    await on_b.async_delete_all(enterprise_id=None, team_id="T1")
    assert await on_a.async_find_bot(enterprise_id=None, team_id="T1") is None

    # The install starts on one replica and Slack redirects the browser to another.
    states_a = AsyncOAuthStateStoreAdapter(build_state_store(engine_a))
    states_b = AsyncOAuthStateStoreAdapter(build_state_store(engine_b))
    state = await states_a.async_issue()
    assert await states_b.async_consume(state) is True
    assert await states_a.async_consume(state) is False


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
