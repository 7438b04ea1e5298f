"""`whodecides serve` and `whodecides socket` through the real CLI entry point, as separate processes.

One path runs the production server (uvicorn, `serve`) with the real Answerer (real model, real FAISS
index) and answers a signed slash command and a mention, end to end.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fakes.live_server import free_port
from tests.fakes.processes import stop_process
from tests.fakes.slack_requests import SIGNING_SECRET, SlackSender, mention, slash_command_body
from tests.fakes.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "whodecides"


def whodecides(*args: str) -> list[str]:
    """The installed console script when present, else `python -m bot` (the same main())."""
    return [str(CLI), *args] if CLI.exists() else [sys.executable, "-m", "bot", *args]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "HF_HUB_OFFLINE", "TOKENIZERS_PARALLELISM")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HF_HUB_OFFLINE="1", DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", **extra)
    return env


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_serve_with_half_a_slack_configuration_says_what_is_missing(given, needle, tmp_path):
    env = clean_env(tmp_path, PORT=str(free_port()), **given)
    proc = subprocess.run(
        whodecides("serve"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode != 0
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_socket_without_an_app_token_says_so(tmp_path):
    env = clean_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    proc = subprocess.run(
        whodecides("socket"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode != 0
    assert "SLACK_APP_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.slow
def test_serve_answers_slack_with_the_real_engine(real_index_dir, web_api, tmp_path):
    port = free_port()
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=web_api.base_url,
        WHODECIDES_INDEX=str(real_index_dir),
        HOST="127.0.0.1",
        PORT=str(port),  # --port is not given: $PORT is the default
    )
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(whodecides("serve"), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    sender = SlackSender(base)
    try:

        def healthy() -> bool:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx.get(base + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        eventually(healthy, timeout=240, what="whodecides serve to come up")
        assert httpx.get(base + "/healthz").json()["slack"] is True

        r = sender.command("who decides the price of the enterprise tier?", response_url=web_api.response_url())
        assert r.status_code == 200
        [answer] = web_api.wait_for("response_url", timeout=60)
        assert answer.body["response_type"] == "ephemeral"
        assert answer.body["text"].startswith("The Product Manager decides")
        quoted = [b for b in answer.body["blocks"] if b["type"] == "section" and b["text"]["text"].startswith("> ")]
        assert len(quoted) == 3  # top 3 real passages, each with its source

        assert sender.event(mention("<@UBOT> who orders the product backlog?")).status_code == 200
        [post] = web_api.wait_for("chat.postMessage", timeout=60)
        assert post.body["text"].startswith("The Product Owner decides")

        body = slash_command_body("who decides?", response_url=web_api.response_url())
        bad = sender.post(body, "application/x-www-form-urlencoded", secret="wrong")
        assert bad.status_code == 401
    finally:
        sender.close()
        stop_process(proc)
        log.close()
    # SIGTERM: uvicorn stops gracefully (lifespan shutdown, answers drained), then exits by the same signal.
    output = (tmp_path / "serve.log").read_text()
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "Traceback" not in output and "token` will be unused" not in output
    # One logging set-up for the process (bot.process): our lines and uvicorn's alike carry a timestamp.
    stamped = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) ")
    for needle in ("whodecides serving on", "Application shutdown complete"):
        [line] = [line for line in output.splitlines() if needle in line]
        assert stamped.match(line), line


@pytest.mark.slow
def test_socket_answers_slack_with_the_real_engine(real_index_dir, web_api, tmp_path):
    import json

    from tests.fakes.slack_requests import event_body
    from tests.fakes.socket_mode_server import SocketModeServer

    with SocketModeServer() as socket_server:
        web_api.socket_mode_url = socket_server.url
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_APP_TOKEN="xapp-1-A0001-test",
            SLACK_API_URL=web_api.base_url,
            WHODECIDES_INDEX=str(real_index_dir),
        )
        log = (tmp_path / "socket.log").open("w+")
        proc = subprocess.Popen(whodecides("socket"), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            eventually(
                lambda: proc.poll() is None and socket_server.open_connections(),
                timeout=240,
                what="whodecides socket to connect",
            )
            payload = json.loads(event_body(mention("<@UBOT> who decides the price of the enterprise tier?")))
            socket_server.wait_for_ack(socket_server.send_envelope(payload), timeout=60)
            [post] = web_api.wait_for("chat.postMessage", timeout=60)
            assert post.body["text"].startswith("The Product Manager decides")
        finally:
            stop_process(proc)
            log.close()
        assert proc.returncode == 0, (tmp_path / "socket.log").read_text()  # SIGTERM is a clean stop
