"""Server under load (and its peak RSS): a real `whodecides serve` answering 200 signed slash commands."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import CHILD_ENV, QUESTIONS, ROOT, WHODECIDES, free_port, ms, pct, rss_mb


class SlackStandIn:
    """Loopback stand-in for Slack: the Web API (auth.test, chat.*) and the response_url endpoints."""

    def __init__(self) -> None:
        self.delivered: dict[str, float] = {}
        self.bodies: dict[str, dict] = {}
        self.api_calls: list[str] = []
        self.event = asyncio.Event()
        self.expected = 0

    async def start(self) -> int:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/respond/{rid}", self._respond)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return port

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _api(self, request):
        from aiohttp import web

        method = request.match_info["method"]
        self.api_calls.append(method)
        body: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            body.update(url="https://bench.slack.test/", team="bench", user="whodecides", team_id="T0001")
            body.update(user_id="UBOT", bot_id="BBOT", is_enterprise_install=False)
        elif method.startswith("chat."):
            body.update(channel="C0001", ts=f"{time.time():.6f}")
        return web.json_response(body)

    async def _respond(self, request):
        from aiohttp import web

        rid = request.match_info["rid"]
        payload = await request.json()
        self.delivered.setdefault(rid, time.perf_counter())
        self.bodies[rid] = payload
        if len(self.delivered) >= self.expected:
            self.event.set()
        return web.Response(text="ok")


SIGNING_SECRET = "bench-signing-secret"


def slash_body(text: str, response_url: str) -> str:
    """The form body Slack POSTs for /whodecides."""
    from urllib.parse import urlencode

    fields = {
        "token": "deprecated",
        "team_id": "T0001",
        "team_domain": "bench",
        "channel_id": "C0001",
        "channel_name": "general",
        "user_id": "UASKER",
        "user_name": "asker",
        "command": "/whodecides",
        "text": text,
        "api_app_id": "A0001",
        "response_url": response_url,
        "trigger_id": f"trigger.{time.perf_counter_ns()}",
    }
    return urlencode(fields)


async def _load(port: int, stand_in: SlackStandIn, api_port: int, n: int, concurrency: int) -> dict:
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SIGNING_SECRET)
    url = f"http://127.0.0.1:{port}/slack/events"
    sent_at: dict[str, float] = {}
    acks: list[float] = []
    statuses: list[int] = []

    async def one(session: aiohttp.ClientSession, rid: str, question: str) -> None:
        body = slash_body(question, f"http://127.0.0.1:{api_port}/respond/{rid}")
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        t = time.perf_counter()
        sent_at[rid] = t
        async with session.post(url, data=body.encode(), headers=headers) as resp:
            await resp.read()
            statuses.append(resp.status)
        acks.append(time.perf_counter() - t)

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        # Warm-up (not counted): Bolt's first auth.test, thread pools, first-use paths.
        stand_in.expected = 3
        await asyncio.gather(*(one(session, f"w{i}", QUESTIONS[i]) for i in range(3)))
        await asyncio.wait_for(stand_in.event.wait(), 60)
        stand_in.delivered.clear()
        stand_in.bodies.clear()
        acks.clear()
        statuses.clear()
        sent_at.clear()
        stand_in.event.clear()
        stand_in.expected = n

        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await one(session, f"r{i}", QUESTIONS[i % len(QUESTIONS)])

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        sent_s = time.perf_counter() - t0
        try:
            await asyncio.wait_for(stand_in.event.wait(), 120)
        except TimeoutError:
            pass
        delivered = [stand_in.delivered[r] - sent_at[r] for r in stand_in.delivered if r in sent_at]
        last = max(stand_in.delivered.values(), default=t0)
    answered = sum(1 for b in stand_in.bodies.values() if b.get("blocks") and not b.get("text", "").startswith("Sorry"))
    return {
        "requests": n,
        "concurrency": concurrency,
        "http_200": sum(1 for s in statuses if s == 200),
        "ack_p50_ms": ms(pct(acks, 50)),
        "ack_p99_ms": ms(pct(acks, 99)),
        "ack_max_ms": ms(max(acks, default=float("nan"))),
        "acks_over_3s": sum(1 for a in acks if a >= 3.0),
        "delivered": len(stand_in.delivered),
        "answers_not_apology": answered,
        "delivery_p50_ms": ms(pct(delivered, 50)),
        "delivery_p99_ms": ms(pct(delivered, 99)),
        "answers_per_s": round(len(stand_in.delivered) / max(last - t0, 1e-9), 1),
        "send_s": round(sent_s, 2),
    }


def server_section(n: int, concurrency: int) -> dict:
    import aiohttp  # noqa: F401 - fail early, as "not available", if the client is missing

    import bot.server  # noqa: F401 - the Slack helper's server must have landed

    tmp = Path(tempfile.mkdtemp(prefix="whodecides-bench-"))
    out = {}
    proc = None

    async def main() -> dict:
        nonlocal proc
        stand_in = SlackStandIn()
        api_port = await stand_in.start()
        port = free_port()
        env = {
            **CHILD_ENV,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/",
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "PORT": str(port),
            "HOST": "127.0.0.1",
        }
        for key in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "CLIENT_ID", "CLIENT_SECRET"):
            env.pop(key, None)
        env.pop("TEAMS_ALLOW_UNAUTHENTICATED", None)
        log_file = open(tmp / "serve.log", "w")
        t = time.perf_counter()
        proc = subprocess.Popen(
            [*WHODECIDES, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log_file, stderr=log_file
        )
        try:
            import aiohttp

            async with aiohttp.ClientSession() as s:
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"whodecides serve exited {proc.returncode}: {_tail(tmp / 'serve.log')}")
                    if time.perf_counter() - t > 120:
                        raise RuntimeError("whodecides serve did not answer /healthz within 120 s")
                    try:
                        async with s.get(f"http://127.0.0.1:{port}/healthz") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.05)
            ready_s = time.perf_counter() - t
            rss_idle = rss_mb(proc.pid)
            result = await _load(port, stand_in, api_port, n, concurrency)
            result["ready_s"] = round(ready_s, 2)
            result["rss_idle_mb"] = rss_idle["rss_mb"]
            result.update(rss_mb(proc.pid))
            result["web_api_calls"] = len(stand_in.api_calls)
            return result
        finally:
            await stand_in.stop()
            log_file.close()

    try:
        out = asyncio.run(main())
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return " | ".join(path.read_text().strip().splitlines()[-lines:])
    except OSError:
        return ""
