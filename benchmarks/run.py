"""`make bench`: every figure of issues 5 and 13 in one run → one table, bench.json, benchmarks/RESULTS.md.

Each goal is a ratio, a count or a figure measured in this same run, because these machines are noisy. Sections,
each in its own module:
1. warm.py: a warm answer vs encoding the question alone (same encoder, same process);
2. warm.py: the encode floor: ONNX Runtime fp32 vs the numpy encoder (numpy_encoder.py) vs ONNX int8;
3. cold.py: a cold `whodecides ask` in a fresh process vs benchmarks/naive.py;
4. load.py: a real `whodecides serve` under 200 signed slash commands at concurrency 20, and its peak RSS;
5. scale.py (via build.py): the ANN alone at 10k, 100k and 1M vectors;
6. corpus_scale.py: the whole answer at 100k and 1M synthetic chunks (cached under var/bench/);
7. build.py: the real index build on the default corpus.

    .venv/bin/python benchmarks/run.py [--quick] [--skip-scale]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from build import index_build_section, scale_section
from cold import cold_section
from common import guarded, machine_info
from corpus_scale import run as corpus_scale_run
from load import server_section
from report import GOALS, build_table, write_results
from warm import encode_floor_section, warm_section


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark of issues 5 and 13.")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and no 1M rows (a smoke run)")
    parser.add_argument("--skip-scale", action="store_true", help="no ANN scale rows and no synthetic corpora")
    args = parser.parse_args()

    t0 = time.perf_counter()
    results: dict[str, Any] = {"machine": machine_info(), "goals": GOALS}
    quick = args.quick
    results["warm"] = guarded("warm answer", lambda: warm_section(60 if quick else 300))
    results["encode_floor"] = guarded("encode floor", lambda: encode_floor_section(60 if quick else 300))
    results["cold"] = guarded("cold answer", lambda: cold_section(2 if quick else 5, 1 if quick else 3))
    results["server"] = guarded("server under load", lambda: server_section(40 if quick else 200, 20))
    results["index_build"] = guarded("index build", index_build_section)
    if args.skip_scale:
        results["scale"] = results["corpus_scale"] = {"status": "skipped"}
    else:
        sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
        results["scale"] = guarded("scale", lambda: scale_section(sizes))
        corpora = (100_000,) if quick else (100_000, 1_000_000)
        results["corpus_scale"] = guarded(
            "corpus scale", lambda: corpus_scale_run(corpora, rounds=60 if quick else 300)
        )
    results["total_s"] = round(time.perf_counter() - t0, 1)

    table, met = build_table(results)
    results["met"] = met
    write_results(results, table)
    print(table)
    print(f"\n{results['total_s']:.0f} s; bench.json and benchmarks/RESULTS.md written.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
