"""SQLite stays the embedded default: one process, no DATABASE_URL, no server to run."""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import make_url

from bot.settings import ROOT, Settings
from tests.fakes.slack_requests import mention
from tests.scaleout.replicas import wait_replies


def test_without_database_url_the_default_is_an_sqlite_file_under_var():
    url = make_url(Settings.from_env({}).database_url)
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(ROOT / "var" / "whodecides.db")


def test_database_url_selects_postgresql():
    url = "postgresql+psycopg://bot:secret@127.0.0.1:5432/whodecides"
    assert Settings.from_env({"DATABASE_URL": url}).database_url == url
    assert make_url(Settings.from_env({"DATABASE_URL": url}).database_url).get_driver_name() == "psycopg"


def test_a_single_replica_on_an_sqlite_file_dedupes_retries(tmp_path, web_api, replica_factory):
    db = tmp_path / "single" / "whodecides.db"
    (replica,) = replica_factory(f"sqlite:///{db}", web_api, "solo")
    event = mention("<@UBOT> who decides the price?", channel="CSOLO", ts="1700000300.000001")
    assert replica.sender.event(event, event_id="EvSolo").status_code == 200
    wait_replies(web_api, "CSOLO", threads=1)
    assert replica.sender.event(event, event_id="EvSolo", retry_num=1).status_code == 200
    assert {k: len(v) for k, v in wait_replies(web_api, "CSOLO", threads=1).items()} == {"1700000300.000001": 1}
    with sqlite3.connect(db) as conn:  # the claim is in the file, not only in memory
        rows = conn.execute("SELECT event_id FROM whodecides_event_dedupe").fetchall()
    assert rows == [("EvSolo",)]
