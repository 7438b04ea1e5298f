"""bot.store on a real PostgreSQL server (postgresql+psycopg://): the SQL is portable, claims are atomic
across processes, schema creation is safe at the same instant, and the stores reconnect after a restart.

Skips loudly when PostgreSQL's binaries are not installed (tests.fakes.postgres).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.store import EventDedupe, FeedbackStore, create_schema, make_engine
from bot.store.tables import metadata
from tests.fakes.postgres import PostgresServer, start_postgres

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.create_database()


def run_parallel(script: str, *args: str, n: int) -> list[str]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(n)
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out.strip())
    return outs


def test_schema_creation_at_the_same_instant_from_many_processes(pg_url):
    script = "import sys; from bot.store import create_schema, make_engine; create_schema(make_engine(sys.argv[1]))"
    run_parallel(script, pg_url, n=6)
    assert set(metadata.tables) <= set(inspect(make_engine(pg_url)).get_table_names())


def test_claims_across_processes_have_one_winner_per_id(pg_url):
    create_schema(make_engine(pg_url))
    ids = [f"EvPg{i}" for i in range(50)]
    script = (
        "import sys; from bot.store import EventDedupe, make_engine\n"
        "d = EventDedupe(make_engine(sys.argv[1]))\n"
        "print(','.join(e for e in sys.argv[2:] if d.claim(e)))"
    )
    won = [x for out in run_parallel(script, pg_url, *ids, n=4) for x in out.split(",") if x]
    assert sorted(won) == sorted(ids)


def test_concurrent_threads_on_separate_engines_one_winner(pg_url):
    engines = [make_engine(pg_url) for _ in range(6)]
    create_schema(engines[0])
    barrier = threading.Barrier(len(engines))
    wins: list[bool] = []
    lock = threading.Lock()

    def worker(eng) -> None:  # noqa: ANN001
        d = EventDedupe(eng)
        barrier.wait()
        results = [d.claim(f"EvT{i}") for i in range(20)]
        with lock:
            wins.extend(results)

    threads = [threading.Thread(target=worker, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(wins) == 20


def test_feedback_written_by_one_engine_is_read_by_another(pg_url):
    a, b = FeedbackStore(make_engine(pg_url)), FeedbackStore(make_engine(pg_url))
    assert a.record(platform="slack", user_id="U1", question="q", recommendation="PM", vote="up", workspace="T1")
    assert a.record(platform="teams", user_id="U2", question="q", recommendation="PO", vote="down")
    assert b.summary() == {"up": 1, "down": 1}


def test_stores_reconnect_after_a_postgres_restart(postgres, caplog):
    url = postgres.create_database()
    engine = make_engine(url)
    feedback, dedupe = FeedbackStore(engine), EventDedupe(engine)
    assert dedupe.claim("EvBefore") is True
    assert feedback.record(platform="slack", user_id="U", question="q", recommendation="PM", vote="up")

    postgres.stop()
    with caplog.at_level(logging.ERROR):
        assert dedupe.claim("EvDuring") is True  # degraded, but answering
        assert feedback.record(platform="slack", user_id="U", question="q", recommendation="PM", vote="up") is False
    assert "degraded dedupe" in caplog.text and "feedback LOST" in caplog.text

    postgres.start()
    # The pool's connections died with the server; pre-ping replaces them without any call from us.
    assert dedupe.claim("EvAfter") is True
    assert EventDedupe(make_engine(url)).claim("EvAfter") is False
    assert EventDedupe(make_engine(url)).claim("EvBefore") is False
    assert feedback.record(platform="slack", user_id="U", question="q", recommendation="PM", vote="down")
    assert feedback.summary() == {"up": 1, "down": 1}
