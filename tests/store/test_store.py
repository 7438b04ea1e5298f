"""bot.store against real SQLite files, separate processes, and databases that are down."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import inspect

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
from tests.fakes.databases import corrupt_sqlite_url, sqlite_url, unreachable_postgres_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(sqlite_url(tmp_path))
    create_schema(eng)
    yield eng
    eng.dispose()


def broken_engines(tmp_path: Path):
    return [make_engine(corrupt_sqlite_url(tmp_path)), make_engine(unreachable_postgres_url())]


# --- engine and schema ---------------------------------------------------------------------------


def test_make_engine_creates_the_sqlite_parent_directory_and_pings(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'var' / 'deeper' / 'db.sqlite'}")
    create_schema(eng)
    assert (tmp_path / "var" / "deeper" / "db.sqlite").is_file()
    assert eng.pool._pre_ping is True  # stores reconnect after a database restart


def test_create_schema_is_idempotent_and_makes_every_table(engine):
    create_schema(engine)
    create_schema(engine)
    names = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= names
    assert {"whodecides_feedback", "whodecides_event_dedupe", "slack_bots", "slack_installations"} <= names
    assert "slack_oauth_states" in names


CREATE_SCRIPT = """
import sys
from bot.store import create_schema, make_engine
create_schema(make_engine(sys.argv[1]))
print("ok")
"""


def test_create_schema_is_safe_when_processes_start_at_once(tmp_path):
    url = sqlite_url(tmp_path, "race.db")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CREATE_SCRIPT, url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "ok"


def test_the_schema_uses_no_sqlite_only_sql():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=postgresql.dialect()))
        assert "CREATE TABLE" in ddl


# --- feedback ------------------------------------------------------------------------------------


def test_feedback_is_recorded_and_summarised(engine):
    store = FeedbackStore(engine)
    assert store.record(platform="slack", user_id="U1", question="q?", recommendation="PM", vote="up")
    assert store.record(
        platform="teams",
        user_id="29:x",
        question="q?",
        recommendation="PO",
        vote="down",
        workspace="T",
        answer_id="a",
    )
    assert store.record(platform="slack", user_id="U2", question="q?", recommendation="PM", vote="up")
    assert store.summary() == {"up": 2, "down": 1}
    assert store.summary(platform="teams") == {"up": 0, "down": 1}
    # A second process (another engine on the same file) sees the same votes.
    other = make_engine(str(engine.url))
    assert FeedbackStore(other).summary() == {"up": 2, "down": 1}


def test_feedback_rejects_an_unknown_vote_without_raising(engine, caplog):
    store = FeedbackStore(engine)
    with caplog.at_level(logging.ERROR):
        assert store.record(platform="slack", user_id="U", question="q", recommendation="PM", vote="meh") is False
    assert store.summary() == {"up": 0, "down": 0}
    assert "vote" in caplog.text


def test_feedback_when_the_database_is_down_returns_false_and_logs(tmp_path, caplog):
    for eng in broken_engines(tmp_path):
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            ok = FeedbackStore(eng).record(platform="slack", user_id="U1", question="q", recommendation="PM", vote="up")
        assert ok is False
        assert any(r.levelno == logging.ERROR and "feedback LOST" in r.getMessage() for r in caplog.records)


def test_feedback_long_text_is_kept_whole(engine):
    store = FeedbackStore(engine)
    question = "who decides " + "x" * 20_000
    assert store.record(platform="slack", user_id="U" * 300, question=question, recommendation="PM", vote="up")
    with engine.connect() as conn:
        from bot.store.tables import feedback

        row = conn.execute(feedback.select()).mappings().one()
    assert row["question"] == question


# --- dedupe --------------------------------------------------------------------------------------


def test_claim_is_true_exactly_once_per_id(engine):
    dedupe = EventDedupe(engine)
    assert dedupe.claim("Ev1") is True
    assert dedupe.claim("Ev1") is False
    assert dedupe.claim("Ev2") is True
    # Another process on the same database: the database, not memory, decides.
    assert EventDedupe(make_engine(str(engine.url))).claim("Ev1") is False
    assert EventDedupe(make_engine(str(engine.url))).claim("Ev3") is True


def test_concurrent_claims_from_many_engines_have_one_winner(engine):
    url = str(engine.url)
    dedupes = [EventDedupe(make_engine(url)) for _ in range(8)]
    barrier = threading.Barrier(len(dedupes))
    wins: list[bool] = []
    lock = threading.Lock()

    def worker(d: EventDedupe) -> None:
        barrier.wait()
        results = [d.claim(f"Ev{i}") for i in range(30)]
        with lock:
            wins.extend(results)

    threads = [threading.Thread(target=worker, args=(d,)) for d in dedupes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(wins) == 30  # each of the 30 ids won exactly once


CLAIM_SCRIPT = """
import sys
from bot.store import EventDedupe, make_engine
d = EventDedupe(make_engine(sys.argv[1]))
print(",".join(e for e in sys.argv[2:] if d.claim(e)))
"""


def test_claims_across_processes_have_one_winner_per_id(engine):
    ids = [f"EvP{i}" for i in range(40)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, str(engine.url), *ids],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    won: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        won.extend(x for x in out.strip().split(",") if x)
    assert sorted(won) == sorted(ids)


def test_dedupe_when_the_database_is_down_answers_once_per_process(tmp_path, caplog):
    for eng in broken_engines(tmp_path):
        caplog.clear()
        dedupe = EventDedupe(eng)
        with caplog.at_level(logging.ERROR):
            assert dedupe.claim("EvDown") is True  # answering beats silence
        assert "degraded dedupe" in caplog.text
        assert dedupe.claim("EvDown") is False  # but this process never replies twice


def test_dedupe_recovers_when_the_database_comes_back(tmp_path):
    path = tmp_path / "flaky.db"
    path.write_bytes(b"garbage" * 1000)
    eng = make_engine(f"sqlite:///{path}")
    dedupe = EventDedupe(eng)
    assert dedupe.claim("EvA") is True  # degraded
    eng.dispose()
    path.unlink()  # "restart": a healthy database at the same URL
    assert dedupe.claim("EvB") is True
    assert EventDedupe(make_engine(f"sqlite:///{path}")).claim("EvB") is False  # now stored in the DB
    assert dedupe.claim("EvA") is False  # remembered in process while the DB was down


# --- Slack installations and OAuth state ---------------------------------------------------------


def test_installation_and_state_adapters_round_trip(engine):
    asyncio.run(_round_trip(engine))


async def _round_trip(engine) -> None:
    store = AsyncInstallationStoreAdapter(build_installation_store(engine, client_id="111.222"))
    await store.async_save(
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
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-t1"
    installation = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert installation is not None and installation.user_id == "U1"
    assert await store.async_find_bot(enterprise_id=None, team_id="T-other") is None

    states = AsyncOAuthStateStoreAdapter(build_state_store(engine))
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("never-issued") is False
