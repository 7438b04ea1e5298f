"""Process set-up happens once, at the entry point: building and using the engine changes nothing process-wide."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CORPUS, ROOT

PROBE = """
import json, logging, os, sys
from threadpoolctl import threadpool_info

def blas():
    return sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})

def state():
    return {"blas": blas(), "env": os.environ.get("HF_HUB_OFFLINE"), "handlers": len(logging.getLogger().handlers)}

from bot.runtime import build_runtime
from bot.settings import Settings
from pathlib import Path
runtime = build_runtime(Settings.from_env({}, corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2])))
answer = runtime.answerer.answer("Who decides the price of the enterprise tier?")
after_library = {**state(), "answer": answer.recommendation}
from bot.process import configure_process
configure_process(verbose=True)
root = logging.getLogger()
after_configure = {**state(), "level": root.level, "format": root.handlers[0].formatter._fmt}
print(json.dumps([after_library, after_configure]))
"""


def test_library_code_leaves_the_process_alone_and_configure_process_sets_it_up(real_index_dir: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    }
    res = subprocess.run(
        [sys.executable, "-c", PROBE, str(CORPUS), str(real_index_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    after_library, after_configure = json.loads(res.stdout.splitlines()[-1])
    # Loading the engine and answering (library code) wrote no environment, set up no logging, capped no threads
    # (and needed no HF_HUB_OFFLINE to stay offline)...
    assert after_library["answer"] == "PM"
    assert after_library["env"] is None and after_library["handlers"] == 0
    assert after_library["blas"] != [1] or os.cpu_count() == 1
    # ...the entry point's configure_process does all three, with timestamps in every log line.
    assert after_configure["env"] == "1"
    assert after_configure["blas"] == [1]
    assert after_configure["level"] == 20 and "%(asctime)s" in after_configure["format"]
