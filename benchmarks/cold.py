"""Cold answer: `whodecides ask` in a fresh process against benchmarks/naive.py, medians of interleaved runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from common import CHILD_ENV, COLD_QUESTION, ROOT, WHODECIDES


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
