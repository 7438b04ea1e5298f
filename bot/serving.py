"""Process set-up for long-running servers, once the engine is loaded."""

from __future__ import annotations

import asyncio
import gc

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


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


# ---------------------------------------------------------------- uvicorn, hardened
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this
HEADER_TIMEOUT_SECONDS = 10.0  # a request line and headers must arrive within this
LIMIT_CONCURRENCY = 200  # connections + requests in progress; beyond it new requests get 503
GRACEFUL_SHUTDOWN_SECONDS = 20


def uvicorn_config(app: object, host: str, port: int) -> uvicorn.Config:
    """The uvicorn settings `whodecides serve` runs with (README, "Reliability")."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        lifespan="on",
        http=HeaderTimeoutH11Protocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=LIMIT_CONCURRENCY,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        h11_max_incomplete_event_size=16 * 1024,  # request line + headers
    )


def run_uvicorn(app: object, host: str, port: int) -> None:
    """Serve until stopped, with the settings above and repeated log lines limited to one per interval."""
    from bot.log_limits import limit_repeats

    config = uvicorn_config(app, host, port)  # configures uvicorn's loggers, so the limiter goes in after
    limit_repeats("uvicorn", "uvicorn.error", "uvicorn.access")
    uvicorn.Server(config).run()


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for the request line and headers.

    uvicorn closes idle keep-alive connections, but a connection that has sent half a header (or nothing) is
    kept forever: hundreds of them exhaust the file descriptors. Each connection gets HEADER_TIMEOUT_SECONDS to
    complete its headers, on the first request and on every later one.
    """

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the headers are in (or the connection is done)
            self._disarm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # the next request on this connection has the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._header_timeout)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
