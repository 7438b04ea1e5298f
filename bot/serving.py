"""Process set-up for long-running servers, once the engine is loaded."""

from __future__ import annotations

import gc


def settle_for_serving() -> None:
    """One faiss thread per query, and the engine's long-lived objects out of the garbage collector's sight.

    Measured (benchmarks/NOTES.md): a ~100 ms full collection over the engine's objects stalled every ack in
    flight during a burst (ack p99 131–160 ms → 33–71 ms with gc.freeze()); and faiss' spinning OpenMP
    workers fought the encoder's BLAS for the 2 cores.
    """
    from bot.ann import set_threads

    set_threads(1)
    gc.collect()
    gc.freeze()
