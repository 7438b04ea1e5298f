"""Real `whodecides serve` replicas: the installed console script as subprocesses, on loopback ports.

Each replica gets a clean environment (no DATABASE_URL or credentials leak in from the caller), its own
log files, and is killed in teardown whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

from tests.fakes.live_server import free_port
from tests.fakes.processes import stop_process
from tests.fakes.slack_requests import SIGNING_SECRET, SlackSender
from tests.fakes.slack_web_api import SlackWebApiMock

ROOT = Path(__file__).resolve().parents[2]
WHODECIDES = Path(sys.executable).with_name("whodecides")  # .venv/bin/whodecides, the installed console script
CORPUS = ROOT / "corpus"

# Settings the replicas must not inherit from whoever runs the tests.
_SCRUB = (
    "DATABASE_URL",
    "PORT",
    "HOST",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "TENANT_ID",
    "TEAMS_ALLOW_UNAUTHENTICATED",
    "WHODECIDES_RULES",
    "WHODECIDES_MODEL",
)


def replica_env(*, database_url: str | None, web_api: SlackWebApiMock | None, index_dir: Path) -> dict[str, str]:
    """The environment of a replica: Slack on the Web API mock (when given), the prebuilt index."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    if web_api is not None:
        env.update(
            SLACK_BOT_TOKEN="xoxb-scaleout-token",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=web_api.base_url,
        )
    env.update(
        HOST="127.0.0.1",
        WHODECIDES_INDEX=str(index_dir),
        WHODECIDES_CORPUS=str(CORPUS),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def _die_with_parent() -> None:
    """Linux: the replica gets SIGTERM if the test run itself is killed, so no server outlives it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Replica:
    """One `whodecides serve --port N` process."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.stdout_path = log_dir / f"{name}.stdout.log"
        self.stderr_path = log_dir / f"{name}.stderr.log"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [str(WHODECIDES), "serve", "--port", str(self.port)],
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=_die_with_parent,
            )
        self.sender = SlackSender(self.url)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> Replica:
        """Until GET /healthz answers (bounded); a replica that died or never listens fails with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise AssertionError(f"replica {self.name} exited with {code}:\n{self.stderr()[-4000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"replica {self.name} not ready within {timeout} s:\n{self.stderr()[-4000:]}")

    def stop(self) -> None:
        self.sender.close()
        stop_process(self.proc, timeout=15)


def start_replicas(names: list[str], env: dict[str, str], log_dir: Path, started: list[Replica]) -> list[Replica]:
    """Start all at once (so they race on schema creation too), then wait until each is ready.

    Every replica is appended to `started` as soon as it exists, so the caller's teardown kills it even
    when another one fails to start.
    """
    replicas = []
    for name in names:
        replica = Replica(name, env, log_dir)
        started.append(replica)
        replicas.append(replica)
    for replica in replicas:
        replica.wait_ready()
    return replicas


def replies_by_thread(web_api: SlackWebApiMock, channel: str) -> dict[str, list[dict]]:
    """chat.postMessage bodies sent to `channel`, grouped by the thread they answer."""
    threads: dict[str, list[dict]] = defaultdict(list)
    for call in web_api.calls("chat.postMessage", delivered_only=True):
        if call.body.get("channel") == channel:
            threads[str(call.body.get("thread_ts"))].append(call.body)
    return dict(threads)


def wait_replies(web_api: SlackWebApiMock, channel: str, threads: int, timeout: float = 60) -> dict[str, list[dict]]:
    """Wait (bounded) until `threads` threads of `channel` got a reply, then until the mock is quiet,
    so that a second, unwanted reply would have arrived too."""
    deadline = time.monotonic() + timeout
    while len(replies_by_thread(web_api, channel)) < threads:
        if time.monotonic() > deadline:
            got = {k: len(v) for k, v in replies_by_thread(web_api, channel).items()}
            raise AssertionError(f"expected replies in {threads} threads of {channel}, got {got}")
        time.sleep(0.05)
    web_api.settle(quiet=1.0, timeout=15)
    return replies_by_thread(web_api, channel)


def warm_index_dir(index_dir: Path) -> Path:
    """Warm a prebuilt index with one real `whodecides ask` (the router cache is written next to it), so the
    servers a test starts load it in seconds and never build anything at start."""
    proc = subprocess.run(
        [str(WHODECIDES), "ask", "--json", "who decides the price?"],
        env=replica_env(database_url=None, web_api=None, index_dir=index_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert json.loads(proc.stdout.splitlines()[0])["recommendation"] == "PM"
    assert (index_dir / "manifest.json").is_file() and CORPUS.is_dir()
    return index_dir
