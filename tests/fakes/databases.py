"""Database URLs for tests: a fresh SQLite file, and two kinds of broken database."""

from __future__ import annotations

import socket
from pathlib import Path


def sqlite_url(directory: Path, name: str = "whodecides.db") -> str:
    return f"sqlite:///{directory / name}"


def corrupt_sqlite_url(directory: Path) -> str:
    """A file that exists but is not a database: every query fails with 'file is not a database'."""
    path = directory / "corrupt.db"
    path.write_bytes(b"this is not an SQLite database\x00" * 512)
    return f"sqlite:///{path}"


def unreachable_postgres_url() -> str:
    """A PostgreSQL URL on a loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql+psycopg://whodecides:secret@127.0.0.1:{port}/whodecides"
