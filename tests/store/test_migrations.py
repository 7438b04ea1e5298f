"""Alembic migrations: a database that the code before migrations created, already holding feedback, is
stamped and upgraded in place with its rows intact, on SQLite and PostgreSQL, at start or by `db upgrade`."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, inspect, select

from bot.store import FeedbackStore, make_engine, upgrade_schema
from bot.store.db import MIGRATIONS, current_revision, head_revision
from tests.fakes.databases import sqlite_url

ROOT = Path(__file__).resolve().parents[2]

ROWS = [
    {"platform": "slack", "workspace": "T1", "user_id": "U1", "question": "who prices?", "recommendation": "PM",
     "vote": "up", "answer_id": "a" * 32},
    {"platform": "teams", "workspace": "tenant", "user_id": "aad-1", "question": "who orders the backlog?",
     "recommendation": "PO", "vote": "down", "answer_id": None},
]  # fmt: skip

SECOND_REVISION = '''
"""A column, as the next features will add to deployments that hold feedback (test only)."""
import sqlalchemy as sa
from alembic import op

revision = "0099"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("whodecides_feedback") as batch:
        batch.add_column(sa.Column("extra", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("whodecides_feedback") as batch:
        batch.drop_column("extra")
'''


def the_schema_before_migrations() -> sa.MetaData:
    """The tables exactly as the code before migrations made them (create_all), frozen in revision 0001."""
    spec = importlib.util.spec_from_file_location("initial", MIGRATIONS / "versions" / "0001_initial.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._tables()


def database_from_before_migrations(engine: Engine) -> None:
    md = the_schema_before_migrations()
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(md.tables["whodecides_feedback"].insert(), ROWS)
        conn.execute(md.tables["whodecides_event_dedupe"].insert().values(event_id="Ev1", claimed_at=sa.func.now()))


def feedback_rows(engine: Engine) -> list[dict[str, object]]:
    table = sa.Table("whodecides_feedback", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
    return [{k: row[k] for k in ROWS[0]} for row in rows]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    database_from_before_migrations(engine)
    assert "alembic_version" not in inspect(engine).get_table_names()
    engine.dispose()
    return url


def test_a_database_from_before_migrations_is_stamped_and_keeps_its_rows(old_database: str) -> None:
    engine = make_engine(old_database)
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision() == "0003"
    assert feedback_rows(engine) == ROWS
    # The stores go on working on it: the old rows and a new one are counted together.
    store = FeedbackStore(engine)
    assert store.record(platform="slack", user_id="U2", question="q", recommendation="PM", vote="up")
    assert store.summary() == {"up": 2, "down": 1}
    engine.dispose()


def test_a_later_revision_adds_a_column_in_place_with_the_rows_intact(old_database: str, tmp_path: Path) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_extra.py").write_text(SECOND_REVISION)
    engine = make_engine(old_database)
    upgrade_schema(engine, script_location=scripts)
    assert current_revision(engine) == "0099"
    columns = {c["name"] for c in inspect(engine).get_columns("whodecides_feedback")}
    assert {"reason", "comment", "extra"} <= columns
    assert feedback_rows(engine) == ROWS
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM whodecides_event_dedupe")).scalar() == 1
    upgrade_schema(engine, script_location=scripts)  # a second replica, or a restart: nothing to do
    assert current_revision(engine) == "0099" and feedback_rows(engine) == ROWS
    engine.dispose()


def test_db_upgrade_command_upgrades_in_place(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    engine = make_engine(url)
    database_from_before_migrations(engine)
    script = Path(sys.executable).parent / "whodecides"
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    res = subprocess.run([str(script), "db", "upgrade"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "revision 0003" in res.stdout
    assert current_revision(engine) == "0003" and feedback_rows(engine) == ROWS
    res = subprocess.run([str(script), "db", "current"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "revision 0003 (newest: 0003)" in res.stdout
    engine.dispose()


def test_db_upgrade_with_the_database_unreachable_is_one_clear_line(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "whodecides"
    env = {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([str(script), "db", "upgrade"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert res.stderr.startswith("whodecides: Cannot reach DATABASE_URL") and "Traceback" not in res.stderr


def test_revision_0003_adds_team_memory_beside_the_feedback_already_held(old_database: str) -> None:
    from bot.agreements.store import Scope, TeamMemoryStore

    engine = make_engine(old_database)
    upgrade_schema(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"whodecides_agreements", "whodecides_role_holders", "whodecides_channel_context"} <= tables
    assert feedback_rows(engine) == ROWS  # the feedback held before is untouched
    memory = TeamMemoryStore(engine)
    scope = Scope("slack", "T1", "C1")
    first = memory.add(scope, decision="the release date", owner="PO", recorded_by="U1")
    memory.set_roles(scope, {"PO": ("U7", "dana")}, "U1")
    memory.set_context(scope, "small company", "U1")
    assert [a.decision for a in memory.listed(scope)] == ["the release date"]
    assert memory.remove(first.id, scope, "U2") is not None and memory.listed(scope) == []
    [kept] = memory.everything(None, history=True)
    assert kept.removed_by == "U2" and kept.removed_at is not None  # soft: the row stays
    assert [(h.role, h.user_id) for h in memory.roles(scope)] == [("PO", "U7")]
    assert memory.context(scope) == "small company"
    engine.dispose()
