"""A real PostgreSQL server for tests: Debian's `postgresql` binaries on a temporary data directory.

It listens on 127.0.0.1 only, on a free port, with its Unix socket inside the temporary directory. As
root it runs as the `postgres` OS user (the server refuses to run as root). It can be stopped and
started again on the same port and data (a "restart mid-run"), and it is torn down even when a test
fails. Where the binaries are missing, `require_postgres()` skips the test with a loud reason:
these tests never pass silently.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.fakes.live_server import free_port

SUPERUSER = "whodecides"
INSTALL_HINT = "run `make postgres` (scripts/ensure-postgres.sh, as root: apt-get install postgresql)"
_names = itertools.count(1)


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb, pg_ctl and postgres (or $PG_BIN_DIR)."""
    candidates = [os.environ["PG_BIN_DIR"]] if os.environ.get("PG_BIN_DIR") else []

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([\d.]+)/", path)
        return tuple(int(x) for x in match.group(1).split(".")) if match else (0,)

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for folder in candidates:
        if all(os.access(os.path.join(folder, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def require_postgres() -> Path:
    """The binaries' folder, or a loud skip (pytest's reason, and a warning on stderr)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = f"PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): {INSTALL_HINT}"
    elif os.geteuid() == 0 and _postgres_user() is None:
        reason = "running as root and there is no `postgres` OS user to run the server as"
    else:
        return bin_dir
    print(f"\n!!! WARNING: SKIPPING PostgreSQL tests: {reason}\n", file=sys.stderr, flush=True)
    pytest.skip(f"LOUD SKIP: {reason}")


def _postgres_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


class PostgresServer:
    """start() → url(db) → stop()/start() → destroy(). Trust auth on loopback; fsync off (tests only)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="whodecides-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.running = False
        self._user = _postgres_user() if os.geteuid() == 0 else None
        self.socket_dir.mkdir()
        if self._user is not None:
            for path in (self.root, self.socket_dir):
                os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            timeout=120,
        )

    # ------------------------------------------------------------------ processes
    def _cmd(self, binary: str, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / binary), *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if self._user is not None else cmd

    def _run(self, binary: str, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            self._cmd(binary, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{binary} failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}\n"
                f"--- server log ---\n{self.log_tail()}"
            )
        return proc

    def start(self) -> PostgresServer:
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.socket_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=100",
            ]
        )
        # -w: pg_ctl returns once the server accepts connections.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: disconnect clients, clean shutdown). Safe to call when it is down."""
        if not self.data.exists():
            return
        proc = self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop", check=False)
        if proc.returncode != 0 and self._postmaster_pid() is not None:
            self._kill()
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _kill(self) -> None:
        pid = self._postmaster_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown of the postmaster and its children
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def destroy(self) -> None:
        """Stop (whatever it takes) and delete the data directory."""
        try:
            self.stop(mode="immediate")
        finally:
            self._kill()
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ databases
    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        name = name or f"wd_{os.getpid()}_{next(_names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no server log)"

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.destroy()


def start_postgres() -> PostgresServer:
    """A running server, or a loud skip when PostgreSQL is not installed."""
    server = PostgresServer(require_postgres())
    try:  # initdb and start; the temporary directory goes whatever fails
        return server.start()
    except BaseException:
        server.destroy()
        raise
