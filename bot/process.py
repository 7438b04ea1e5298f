"""configure_process(): the process-wide set-up, done once by the entry point (bot.cli.main) and by nothing
else. Library code never writes os.environ, caps threads or configures logging.
"""

from __future__ import annotations

import gc
import logging
import os

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Read by huggingface_hub and tokenizers when they are imported, so they must be set before any import:
# weights are never fetched at run time, and tokenizers' own threads do not fight the answer pool's.
_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
_QUIET_LOGGERS = ("faiss.loader", "alembic")  # bot.store.db logs each migration it runs, in one line


def configure_process(*, verbose: bool = False) -> None:
    """Environment defaults for the libraries, one BLAS thread, and logging with timestamps.

    `verbose` (servers) logs at INFO, else WARNING (a terminal shows answers, not logs). One BLAS thread: a
    query's matmuls are small, and on 2 busy cores OpenBLAS' second thread only waits for the first (measured:
    14 → 60 answers per second); concurrency comes from requests, not from inside one matmul.
    """
    for name, value in _ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=LOG_FORMAT, force=True)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def settle_for_serving() -> None:
    """Once the engine is loaded, before serving: one faiss thread per query, and the engine's long-lived
    objects out of the garbage collector's sight.

    Measured (benchmarks/NOTES.md): a ~100 ms full collection over the engine's objects stalled every ack in
    flight during a burst (ack p99 131–160 ms → 33–71 ms with gc.freeze()); and faiss' spinning OpenMP
    workers fought the encoder's BLAS for the 2 cores.
    """
    from bot.ann import set_threads

    set_threads(1)
    gc.collect()
    gc.freeze()
