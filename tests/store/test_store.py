"""bot.store against real databases, separate processes, and databases that are down.

The checks that hold on every backend run twice: on an SQLite file and on the session's real PostgreSQL
(marked `postgres`; skipped loudly without its binaries, see tests/conftest.py). PostgreSQL-only checks
(advisory lock, restart, the harness itself) are in tests/scaleout/test_postgres_stores.py.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import Engine, inspect, select

from bot.store import (
    AsyncInstallationStoreAdapter,
    AsyncOAuthStateStoreAdapter,
    EventDedupe,
    FeedbackStore,
    build_installation_store,
    build_state_store,
    make_engine,
    upgrade_schema,
)
from bot.store.tables import feedback, metadata
from tests.fakes.databases import corrupt_sqlite_url, sqlite_url, unreachable_postgres_url
from tests.fakes.races import race

ROOT = Path(__file__).resolve().parents[2]
TABLES = sorted([*metadata.tables, "alembic_version"])  # the schema, and the revision it is at


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database (no schema: the stores create it on first use) on each backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def table_names(url: str) -> list[str]:
    """Every table in the database, sorted (a table created twice would show twice)."""
    eng = make_engine(url)
    try:
        return sorted(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def broken_engines(tmp_path: Path):
    return [make_engine(corrupt_sqlite_url(tmp_path)), make_engine(unreachable_postgres_url())]


# --- engine and schema ---------------------------------------------------------------------------


def test_make_engine_creates_the_sqlite_parent_directory_and_pings(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'var' / 'deeper' / 'db.sqlite'}")
    upgrade_schema(eng)
    assert (tmp_path / "var" / "deeper" / "db.sqlite").is_file()
    assert eng.pool._pre_ping is True  # stores reconnect after a database restart


def test_upgrade_schema_is_idempotent_makes_every_table_and_keeps_data(db_url, engine):
    upgrade_schema(engine)
    assert FeedbackStore(engine).record(platform="slack", user_id="U1", question="q", recommendation="PM", vote="up")
    upgrade_schema(engine)
    upgrade_schema(make_engine(db_url))  # another process's engine
    assert table_names(db_url) == TABLES
    assert {"whodecides_feedback", "whodecides_event_dedupe", "slack_bots", "slack_installations"} <= set(TABLES)
    assert "slack_oauth_states" in TABLES
    assert FeedbackStore(engine).summary() == {"up": 1, "down": 0}


RACE_SCRIPT = """
import sys
from bot.store import upgrade_schema, make_engine
engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()  # a barrier across processes: everyone is connected, then all go at once
upgrade_schema(engine)
print("ok", flush=True)
"""


def test_processes_creating_the_schema_at_the_same_moment_all_succeed(db_url):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_SCRIPT, db_url],
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
    assert table_names(db_url) == TABLES  # each table exists, once


def test_the_schema_uses_no_sqlite_only_sql():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=postgresql.dialect()))
        assert "CREATE TABLE" in ddl


# --- feedback ------------------------------------------------------------------------------------


def test_feedback_is_recorded_and_summarised(db_url, engine):
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
    # A second process (another engine on the same database) sees the same votes.
    other = FeedbackStore(make_engine(db_url))
    assert other.summary() == {"up": 2, "down": 1}
    assert other.summary(platform="teams") == {"up": 0, "down": 1}


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


def test_feedback_long_text_is_kept_whole(db_url, engine):
    store = FeedbackStore(engine)
    question = "who decides " + "x" * 20_000 + " 🚀"
    assert store.record(
        platform="slack", user_id="U" * 300, question=question, recommendation="PM", vote="up", workspace="T1"
    )
    from bot.store.tables import feedback

    with make_engine(db_url).connect() as conn:  # read back by another engine
        row = conn.execute(feedback.select()).mappings().one()
    assert row["question"] == question


# --- dedupe --------------------------------------------------------------------------------------


def test_claim_is_true_exactly_once_per_id(db_url, engine):
    dedupe = EventDedupe(engine)
    assert dedupe.claim("Ev1") is True
    assert dedupe.claim("Ev1") is False
    assert dedupe.claim("Ev2") is True
    # Another process on the same database: the database, not memory, decides.
    other = EventDedupe(make_engine(db_url))
    assert other.claim("Ev1") is False
    assert other.claim("Ev3") is True


def test_simultaneous_claims_from_many_engines_have_one_winner_each(db_url):
    upgrade_schema(make_engine(db_url))
    dedupes = [EventDedupe(make_engine(db_url)) for _ in range(8)]
    ids = [f"EvRace{i}" for i in range(40)]
    wins = race(lambda d: [e for e in ids if d.claim(e)], dedupes)
    assert sorted(e for mine in wins for e in mine) == sorted(ids)  # each id won exactly once


CLAIM_SCRIPT = """
import sys
from bot.store import EventDedupe, make_engine
d = EventDedupe(make_engine(sys.argv[1]))
print(",".join(e for e in sys.argv[2:] if d.claim(e)))
"""


def test_claims_across_processes_have_one_winner_per_id(db_url):
    upgrade_schema(make_engine(db_url))
    ids = [f"EvP{i}" for i in range(50)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, db_url, *ids],
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


def test_installations_and_oauth_state_round_trip_between_engines(db_url):
    asyncio.run(_round_trip(db_url))


async def _round_trip(url: str) -> None:
    # Two engines: two replicas (or processes) sharing one database.
    engine_a, engine_b = make_engine(url), make_engine(url)
    upgrade_schema(engine_a)
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
    assert await on_b.async_find_bot(enterprise_id=None, team_id="T-other") is None
    await on_b.async_delete_all(enterprise_id=None, team_id="T1")
    assert await on_a.async_find_bot(enterprise_id=None, team_id="T1") is None

    # The install starts on one replica and Slack redirects the browser to another.
    states_a = AsyncOAuthStateStoreAdapter(build_state_store(engine_a))
    states_b = AsyncOAuthStateStoreAdapter(build_state_store(engine_b))
    state = await states_a.async_issue()
    assert await states_b.async_consume(state) is True
    assert await states_a.async_consume(state) is False
    assert await states_b.async_consume("never-issued") is False


def test_feedback_keeps_why_a_thumbs_down_was_given(engine):
    store = FeedbackStore(engine)
    assert store.record(
        platform="teams", user_id="aad-1", question="q", recommendation="PM", vote="down",
        reason="wrong_role", comment="  it is the PO's  ",
    )  # fmt: skip
    assert store.record(
        platform="slack", user_id="U1", question="q", recommendation="PO", vote="down", reason="made-up", comment=" "
    )
    with engine.connect() as conn:
        rows = conn.execute(select(feedback.c.reason, feedback.c.comment).order_by(feedback.c.id)).all()
    # An unknown reason is kept as "other" (a button value comes back from the client); a blank comment is none.
    assert [tuple(r) for r in rows] == [("wrong_role", "  it is the PO's  "), ("other", None)]


def test_a_reason_is_attached_to_that_users_thumbs_down_on_that_answer_in_that_workspace_only(engine):
    store = FeedbackStore(engine)
    down = dict(platform="slack", question="q", recommendation="PM", vote="down")
    assert store.record(user_id="U1", workspace="T1", answer_id="a1", **down)
    assert store.record(user_id="U1", workspace="T2", answer_id="a1", **down)  # same ids, another workspace
    assert store.record(user_id="U2", workspace="T1", answer_id="a1", **down)  # another user
    assert store.record(user_id="U1", workspace="T1", answer_id="a2", **down)  # another answer
    assert store.record(user_id="U1", workspace="T1", answer_id="a1", **{**down, "vote": "up"})  # not a 👎

    assert store.add_reason(
        platform="slack", workspace="T1", user_id="U1", answer_id="a1", reason="wrong_reason", comment="it's the PO"
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(feedback.c.workspace, feedback.c.user_id, feedback.c.answer_id, feedback.c.vote, feedback.c.reason,
                   feedback.c.comment).order_by(feedback.c.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("T1", "U1", "a1", "down", "wrong_reason", "it's the PO"),
        ("T2", "U1", "a1", "down", None, None),
        ("T1", "U2", "a1", "down", None, None),
        ("T1", "U1", "a2", "down", None, None),
        ("T1", "U1", "a1", "up", None, None),
    ]
    # No such 👎 (another workspace's answer id, say): nothing is written, and the caller is told.
    assert not store.add_reason(platform="slack", workspace="T9", user_id="U1", answer_id="a1", reason="other")
    assert not store.add_reason(platform="teams", workspace="T1", user_id="U1", answer_id="a1", reason="other")
    assert store.add_reason(platform="slack", workspace="T2", user_id="U1", answer_id="a1", reason="nonsense")
    assert store.reasons() == [("slack", "other", 1), ("slack", "wrong_reason", 1)]
    assert store.comments() == [("slack", "wrong_reason", "q", "it's the PO")]


def test_adding_a_reason_when_the_database_is_down_returns_false_and_logs(tmp_path, caplog):
    for eng in broken_engines(tmp_path):
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            ok = FeedbackStore(eng).add_reason(
                platform="slack", workspace="T1", user_id="U1", answer_id="a", reason="other"
            )
        assert ok is False
        assert any(r.levelno == logging.ERROR and "reason LOST" in r.getMessage() for r in caplog.records)
