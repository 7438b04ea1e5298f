"""What every benchmark section shares: paths, the child environment, the questions, percentiles, logging."""

from __future__ import annotations

import os
import platform
import re
import socket
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bot/, when run outside the editable install
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
    except Exception as exc:  # noqa: BLE001 - any failure: reported in the table, the other sections go on
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
            for d in (
                "numpy",
                "faiss-cpu",
                "tokenizers",
                "torch",
                "sentence-transformers",
                "onnxruntime",
                "onnx",
                "bm25s",
                "slack-bolt",
            )
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def rss_mb(pid: int | str = "self") -> dict:
    """The process' peak (VmHWM) and current RSS, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()

    def field(name: str) -> float:
        m = re.search(rf"{name}:\s+(\d+) kB", status)
        return round(int(m.group(1)) / 1024, 1) if m else float("nan")

    return {"peak_rss_mb": field("VmHWM"), "rss_mb": field("VmRSS")}
