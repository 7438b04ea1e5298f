"""`make bench`: every figure of issue 5 in one run → one table, bench.json, benchmarks/RESULTS.md.

Each goal is a ratio or a count measured in this same run, because these machines are noisy:
1. warm answer in process vs encoding the question alone (same encoder, same process);
2. cold `whodecides ask` in a fresh process vs benchmarks/naive.py;
3. a real `whodecides serve` under 200 signed slash commands at concurrency 20;
4. scale (benchmarks/scale.py) and the real index build on the default corpus;
5. peak RSS of the serving process.

    .venv/bin/python benchmarks/run.py [--quick] [--skip-scale]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BIN = Path(sys.executable).parent
WHODECIDES = [str(BIN / "whodecides")] if (BIN / "whodecides").exists() else [sys.executable, "-m", "bot"]
CHILD_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"}

# Varied, realistic questions (on topic, context modifiers, off topic): the warm and load figures cycle
# through them so no single cached path is measured.
QUESTIONS = (
    "Who decides the price of the enterprise tier, the PO or the PM?",
    "Who orders the product backlog?",
    "Who decides which programming language the team uses?",
    "Who owns the product roadmap?",
    "We are a tiny startup with one product person: who decides the roadmap?",
    "Who writes the user stories, the product owner or the product manager?",
    "Who decides what goes into the next sprint?",
    "Who talks to customers to do market research?",
    "We don't use Scrum: who writes the requirements?",
    "Five Scrum teams ship one release: who sets the release goal?",
    "Who accepts a story as done?",
    "Who decides the go-to-market plan for a new region?",
    "Who sets the product vision and strategy?",
    "Who decides on the acceptance criteria?",
    "Who should decide whether we build or buy the billing system?",
    "Who decides the pricing model, the PO or the PM?",
    "Who decides how the team estimates the work?",
    "Who owns the business case for a new feature?",
    "What is the weather like in Paris tomorrow?",
    "Who decides the order of bugs and features in the backlog?",
)
COLD_QUESTION = QUESTIONS[0]

GOALS = {
    "warm_ratio": 1.5,
    "cold_ratio": 0.5,
    "ack_p99_ms": 100.0,
    "acks_over_3s": 0,
    "scale_recall": 0.95,
    "scale_p50_ms": 5.0,
    "rss_mb": 600.0,
}


# --- helpers -----------------------------------------------------------------------------------------
def pct(samples: list[float], q: float) -> float:
    """q-th percentile (linear interpolation) of samples, in the samples' unit."""
    data = sorted(samples)
    if not data:
        return float("nan")
    pos = (len(data) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def guarded(name: str, fn: Callable[[], dict]) -> dict:
    """Run one section; a missing collaborator or a failure is reported, never a crash of the whole run."""
    t = time.perf_counter()
    log(f"[bench] {name} …")
    try:
        result = fn()
    except ImportError as exc:
        result = {"status": "not available yet", "detail": str(exc)}
    except Exception as exc:  # noqa: BLE001 - report it in the table and go on with the other sections
        traceback.print_exc()
        result = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"}
    result.setdefault("status", "ok")
    result["section_s"] = round(time.perf_counter() - t, 1)
    log(f"[bench] {name}: {result['status']} in {result['section_s']} s")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        ram_gb = round(kb / 2**20, 1)
    except (OSError, AttributeError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            d: version(d)
            for d in ("numpy", "faiss-cpu", "tokenizers", "torch", "sentence-transformers", "bm25s", "slack-bolt")
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


# --- 1. warm answer vs encoding alone --------------------------------------------------------------
def warm_section(rounds: int) -> dict:
    from bot.answer import Answerer
    from bot.settings import Settings

    t = time.perf_counter()
    answerer = Answerer.from_settings(Settings.from_env())
    start_s = time.perf_counter() - t
    encoder = answerer.encoder
    for q in QUESTIONS:  # warm caches, lazy tables, BLAS threads
        answerer.answer(q)
        encoder.encode([q])
    answer_s: list[float] = []
    encode_s: list[float] = []
    # Interleaved so both series see the same machine noise.
    for i in range(rounds):
        q = QUESTIONS[i % len(QUESTIONS)]
        t = time.perf_counter()
        encoder.encode([q])
        encode_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        answerer.answer(q)
        answer_s.append(time.perf_counter() - t)
    enc50, ans50 = pct(encode_s, 50), pct(answer_s, 50)
    return {
        "encoder": type(encoder).__name__,
        "answerer_start_s": round(start_s, 2),
        "rounds": rounds,
        "answer_p50_ms": ms(ans50),
        "answer_p99_ms": ms(pct(answer_s, 99)),
        "encode_p50_ms": ms(enc50),
        "encode_p99_ms": ms(pct(encode_s, 99)),
        "ratio_p50": round(ans50 / enc50, 2),
    }


# --- 2. cold CLI vs the naive script ----------------------------------------------------------------
def _timed_run(cmd: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=CHILD_ENV, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} … exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return elapsed, proc.stdout


def cold_section(runs: int, naive_runs: int) -> dict:
    ask = [*WHODECIDES, "ask", COLD_QUESTION]
    naive = [sys.executable, str(ROOT / "benchmarks" / "naive.py"), COLD_QUESTION]
    # One unmeasured run of each: page cache and .pyc files warm for both, so neither pays for the disk.
    _, ask_out = _timed_run(ask)
    _, naive_out = _timed_run(naive)
    ask_s: list[float] = []
    naive_s: list[float] = []
    for i in range(max(runs, naive_runs)):  # interleaved
        if i < runs:
            ask_s.append(_timed_run(ask)[0])
        if i < naive_runs:
            naive_s.append(_timed_run(naive)[0])
    ask50, naive50 = statistics.median(ask_s), statistics.median(naive_s)
    return {
        "ask_runs": runs,
        "naive_runs": naive_runs,
        "ask_median_s": round(ask50, 3),
        "ask_min_s": round(min(ask_s), 3),
        "ask_max_s": round(max(ask_s), 3),
        "naive_median_s": round(naive50, 3),
        "naive_min_s": round(min(naive_s), 3),
        "naive_max_s": round(max(naive_s), 3),
        "ratio": round(ask50 / naive50, 3),
        "ask_first_line": ask_out.strip().splitlines()[0] if ask_out.strip() else "",
        "naive_first_line": naive_out.strip().splitlines()[0] if naive_out.strip() else "",
    }


# --- 3 + 5. the server under load, and its peak RSS -------------------------------------------------
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

    async def _api(self, request):  # noqa: ANN001, ANN202
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

    async def _respond(self, request):  # noqa: ANN001, ANN202
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


def _rss_mb(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()

    def field(name: str) -> float:
        m = re.search(rf"{name}:\s+(\d+) kB", status)
        return round(int(m.group(1)) / 1024, 1) if m else float("nan")

    return {"peak_rss_mb": field("VmHWM"), "rss_mb": field("VmRSS")}


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
        log_file = open(tmp / "serve.log", "w")  # noqa: SIM115 - closed below
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
            rss_idle = _rss_mb(proc.pid)
            result = await _load(port, stand_in, api_port, n, concurrency)
            result["ready_s"] = round(ready_s, 2)
            result["rss_idle_mb"] = rss_idle["rss_mb"]
            result.update(_rss_mb(proc.pid))
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


# --- 4. scale and the real index build -----------------------------------------------------------------
def index_build_section() -> dict:
    from bot.embedding import SentenceTransformerEncoder, resolve_model
    from bot.index import build_and_save
    from bot.settings import Settings

    settings = Settings.from_env()
    model = resolve_model(settings.model_path)
    encoder = SentenceTransformerEncoder(model)
    t = time.perf_counter()
    encoder.encode(["warm-up"])  # model load apart from the build itself
    load_s = time.perf_counter() - t
    folder = Path(tempfile.mkdtemp(prefix="whodecides-index-")) / "index"
    try:
        t = time.perf_counter()
        index = build_and_save(settings.corpus_dir, folder, encoder, model, progress=False)
        build_s = time.perf_counter() - t
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
    n = index.manifest.n_chunks
    return {
        "chunks": n,
        "model_load_s": round(load_s, 2),
        "build_s": round(build_s, 2),
        "chunks_per_s": round(n / build_s, 1),
        "index_kind": index.manifest.index_kind,
    }


def scale_section(sizes: tuple[int, ...]) -> dict:
    import scale

    return {"rows": scale.run(sizes, log=log)}


# --- report ----------------------------------------------------------------------------------------------
def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "MISSED")


def build_table(r: dict) -> tuple[str, dict]:
    """Markdown table of every figure, and {goal: met?}."""
    rows: list[tuple[str, str, str, str]] = []
    met: dict[str, bool | None] = {}

    def na(section: dict) -> str:
        return f"{section.get('status')}: {section.get('detail', '')}"[:120]

    w = r["warm"]
    if w["status"] == "ok":
        met["warm"] = w["ratio_p50"] <= GOALS["warm_ratio"]
        rows.append(("1. warm answer p50 / p99", f"{w['answer_p50_ms']} / {w['answer_p99_ms']} ms", "", ""))
        rows.append(
            (
                f"1. encode question alone p50 / p99 ({w['encoder']})",
                f"{w['encode_p50_ms']} / {w['encode_p99_ms']} ms",
                "",
                "",
            )
        )
        rows.append(("1. warm answer p50 ÷ encode p50", f"{w['ratio_p50']}×", "≤ 1.5×", _verdict(met["warm"])))
    else:
        rows.append(("1. warm answer vs encode", na(w), "≤ 1.5×", "—"))

    c = r["cold"]
    if c["status"] == "ok":
        met["cold"] = c["ratio"] <= GOALS["cold_ratio"]
        rows.append(("2. cold `whodecides ask` (median)", f"{c['ask_median_s']:.2f} s", "", ""))
        rows.append(("2. cold benchmarks/naive.py (median)", f"{c['naive_median_s']:.2f} s", "", ""))
        rows.append(("2. cold ask ÷ naive", f"{c['ratio']}×", "≤ 0.5×", _verdict(met["cold"])))
    else:
        rows.append(("2. cold ask vs naive", na(c), "≤ 0.5×", "—"))

    s = r["server"]
    if s["status"] == "ok":
        met["ack_p99"] = s["ack_p99_ms"] <= GOALS["ack_p99_ms"]
        met["no_slow_ack"] = s["acks_over_3s"] == 0
        met["all_delivered"] = s["delivered"] == s["requests"]
        met["rss"] = s["peak_rss_mb"] <= GOALS["rss_mb"]
        load = f"{s['requests']} slash commands at concurrency {s['concurrency']}"
        rows.append(
            (
                f"3. ack p50 / p99 ({load})",
                f"{s['ack_p50_ms']} / {s['ack_p99_ms']} ms",
                "p99 ≤ 100 ms",
                _verdict(met["ack_p99"]),
            )
        )
        rows.append(("3. acks ≥ 3 s", str(s["acks_over_3s"]), "0", _verdict(met["no_slow_ack"])))
        rows.append(
            ("3. answers delivered", f"{s['delivered']} / {s['requests']}", "all", _verdict(met["all_delivered"]))
        )
        rows.append(("3. answers per second", f"{s['answers_per_s']}", "", ""))
        rows.append(("3. delivery p50 / p99", f"{s['delivery_p50_ms']} / {s['delivery_p99_ms']} ms", "", ""))
    else:
        rows.append(("3. server under load", na(s), "", "—"))

    sc = r["scale"]
    if sc["status"] == "ok":
        for row in sc["rows"]:
            name = f"4. scale {row['n']:,}: {row['index']}"
            value = (
                f"build {row['build_s']} s, {row['memory_mb']} MB, p50 {row['search_p50_ms']} ms, "
                f"p99 {row['search_p99_ms']} ms, recall@10 {row['recall_at_10']}"
            )
            if "exact_p50_ms" in row:
                value += f" (exact search p50 {row['exact_p50_ms']} ms)"
            goal, verdict = "", ""
            if row["n"] >= 1_000_000:
                met["scale_1m"] = (
                    row["recall_at_10"] >= GOALS["scale_recall"] and row["search_p50_ms"] <= GOALS["scale_p50_ms"]
                )
                goal, verdict = "recall ≥ 0.95, p50 ≤ 5 ms", _verdict(met["scale_1m"])
            rows.append((name, value, goal, verdict))
    else:
        rows.append(("4. scale", na(sc), "", "—"))

    ib = r["index_build"]
    if ib["status"] == "ok":
        rows.append(
            (
                f"4. real index build, default corpus ({ib['chunks']} chunks, {ib['index_kind']})",
                f"{ib['chunks_per_s']} chunks/s ({ib['build_s']} s + {ib['model_load_s']} s model load)",
                "",
                "",
            )
        )
    else:
        rows.append(("4. real index build", na(ib), "", "—"))

    if s["status"] == "ok":
        rows.append(("5. serving process peak RSS", f"{s['peak_rss_mb']} MB", "≤ 600 MB", _verdict(met["rss"])))
    else:
        rows.append(("5. serving process peak RSS", na(s), "≤ 600 MB", "—"))

    header = "| figure | measured | goal | |\n|---|---|---|---|\n"
    body = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    return header + body, met


def _sentences(r: dict, met: dict) -> list[str]:
    """One sentence per goal: met or missed, and why (the why differs when missed)."""
    out: list[str] = []
    w, c, s, sc = r["warm"], r["cold"], r["server"], r["scale"]
    if "warm" in met:
        why = (
            "the numpy MiniLM encode dominates an answer; BM25, FAISS and the rules add a few ms, and the answer "
            "encodes the question's topic, which is shorter than the question"
            if met["warm"]
            else "the work around the encode (BM25, FAISS, rules, passages) costs more than half an encode"
        )
        out.append(
            f"**Warm answer ({_verdict(met['warm'])})**: answer p50 {w['answer_p50_ms']} ms is {w['ratio_p50']}× "
            f"encoding the question alone ({w['encode_p50_ms']} ms, {w['encoder']}): {why}."
        )
    if "cold" in met:
        why = (
            "the query path never imports torch or sentence-transformers (bot/fastencode.py gives the same "
            "vectors, cosine ≥ 0.999 tested) and loads the prebuilt index instead of re-encoding the corpus"
            if met["cold"]
            else "start-up (imports, index and rules loading) costs more than half the naive script"
        )
        out.append(
            f"**Cold answer ({_verdict(met['cold'])})**: a fresh `whodecides ask` takes {c['ask_median_s']:.2f} s, "
            f"{c['ratio']}× the naive script's {c['naive_median_s']:.2f} s: {why}."
        )
    if "ack_p99" in met:
        acks_ok = met["ack_p99"] and met["no_slow_ack"]
        why = (
            "the listener acks before answering and the CPU-bound answer runs in worker threads"
            if acks_ok
            else "acks wait when the event loop stalls; measured causes on this machine: a ~100 ms full garbage "
            "collection of the engine's long-lived objects during the burst (gc.freeze() after start removes it), "
            "and other processes taking the 2 cores"
        )
        out.append(
            f"**Acks ({_verdict(acks_ok)})**: ack p99 {s['ack_p99_ms']} ms (max {s['ack_max_ms']} ms), "
            f"{s['acks_over_3s']} acks ≥ 3 s, under {s['requests']} slash commands at concurrency "
            f"{s['concurrency']}: {why}."
        )
        out.append(
            f"**Delivery ({_verdict(met['all_delivered'])})**: {s['delivered']} of {s['requests']} answers reached "
            f"response_url, at {s['answers_per_s']} answers/s; delivery p50 {s['delivery_p50_ms']} ms and p99 "
            f"{s['delivery_p99_ms']} ms because the 200 commands arrive within {s['send_s']} s and the answers, "
            "CPU-bound on 2 cores, queue behind each other."
        )
        why = (
            "it holds the numpy MiniLM weights (memory-mapped) and a small index, and never imports torch"
            if met["rss"]
            else "something on the serving path loads more than the numpy encoder and the index (torch?)"
        )
        out.append(
            f"**Memory ({_verdict(met['rss'])})**: the serving process peaks at {s['peak_rss_mb']} MB RSS: {why}."
        )
    if "scale_1m" in met:
        top = next(row for row in sc["rows"] if row["n"] >= 1_000_000)
        why = (
            "8-bit codes halve the bytes each query scans, exact re-scoring keeps the ranking, and nprobe is "
            "calibrated at build time; HNSW was rejected because its 1M build alone takes minutes on 2 cores"
            if met["scale_1m"]
            else "search time is the bytes scanned per query and this run's machine was slower than calibration "
            "assumed (see the notes below)"
        )
        out.append(
            f"**Scale at 1M ({_verdict(met['scale_1m'])})**: {top['index']} gives recall@10 {top['recall_at_10']} "
            f"at {top['search_p50_ms']} ms p50 (exact search {top.get('exact_p50_ms', '?')} ms), built in "
            f"{top['build_s']} s: {why}."
        )
    return out


def write_results(results: dict, table: str, met: dict) -> None:
    (ROOT / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (benchmarks/run.py); raw numbers in `bench.json`.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}; "
        f"{versions}. Run {m['date']}, {results['total_s']:.0f} s in all.",
        "",
        table,
        "",
        *(f"- {s}" for s in _sentences(results, met)),
        "",
    ]
    notes = ROOT / "benchmarks" / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark of issue 5.")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and no 1M scale row (a smoke run)")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    results: dict[str, Any] = {"machine": machine_info(), "goals": GOALS}
    quick = args.quick
    results["warm"] = guarded("warm answer", lambda: warm_section(60 if quick else 300))
    results["cold"] = guarded("cold answer", lambda: cold_section(2 if quick else 5, 1 if quick else 3))
    results["server"] = guarded("server under load", lambda: server_section(40 if quick else 200, 20))
    results["index_build"] = guarded("index build", index_build_section)
    if args.skip_scale:
        results["scale"] = {"status": "skipped"}
    else:
        sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
        results["scale"] = guarded("scale", lambda: scale_section(sizes))
    results["total_s"] = round(time.perf_counter() - t0, 1)

    table, met = build_table(results)
    results["met"] = met
    write_results(results, table, met)
    print(table)
    print()
    for sentence in _sentences(results, met):
        print(f"- {sentence}")
    print(f"\n{results['total_s']:.0f} s; bench.json and benchmarks/RESULTS.md written.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
