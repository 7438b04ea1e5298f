"""A local Socket Mode server: the WebSocket side of Slack's Socket Mode, on 127.0.0.1.

On each connection it sends `hello`; tests push envelopes (events_api, slash_commands, interactive) and
wait for the client's ack ({"envelope_id": ...}). `disconnect()` sends Slack's `disconnect` message
(the client must fetch a new URL via apps.connections.open and reconnect); `drop()` closes the socket
abruptly. Runs its own asyncio loop in a thread.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve


class SocketModeServer:
    def __init__(self) -> None:
        self.connections: list[ServerConnection] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="socket-mode-server", daemon=True)
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> SocketModeServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]  # type: ignore[index]
        return self

    async def _start(self) -> Server:
        return await serve(self._handle, "127.0.0.1", 0)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self) -> str:
        """What apps.connections.open hands out: a fresh ticket each time, like Slack."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={next(self._ids)}"

    # ------------------------------------------------------------------ server side
    async def _handle(self, ws: ServerConnection) -> None:
        with self._cond:
            self.connections.append(ws)
            number = len(self.connections)
            self._cond.notify_all()
        await ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "local-socket-mode", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0001"},
                }
            )
        )
        try:
            async for raw in ws:
                message = json.loads(raw)
                record = {"connection": number, **message}
                with self._cond:
                    self.received.append(record)
                    if "envelope_id" in message:
                        self.acks[message["envelope_id"]] = record
                    self._cond.notify_all()
        except Exception:  # noqa: BLE001 - a dropped client is part of the tests
            pass

    # ------------------------------------------------------------------ test side
    def wait_for_connections(self, count: int, timeout: float = 30) -> None:
        self._wait(lambda: len(self.open_connections()) >= 1 and len(self.connections) >= count, timeout)

    def open_connections(self) -> list[ServerConnection]:
        from websockets.protocol import State

        return [c for c in self.connections if c.state is State.OPEN]

    def send_envelope(self, payload: dict[str, Any], *, type_: str = "events_api", retry_attempt: int = 0) -> str:
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": type_,
            "payload": payload,
            "accepts_response_payload": type_ != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        self._on_latest(lambda ws: ws.send(json.dumps(envelope)))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 20) -> dict[str, Any]:
        self._wait(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's polite way: a disconnect message; the client must reconnect on a new URL."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "local-socket-mode"}}
        self._on_latest(lambda ws: ws.send(json.dumps(message)))

    def drop(self) -> None:
        """The rude way: the server closes the socket."""
        self._on_latest(lambda ws: ws.close(code=1011, reason="server going away"))

    def _on_latest(self, action) -> None:
        open_ = self.open_connections()
        assert open_, "no open Socket Mode connection"
        asyncio.run_coroutine_threadsafe(action(open_[-1]), self._loop).result(10)

    def _wait(self, predicate, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"Socket Mode server: condition not met; connections={len(self.connections)}, "
                        f"received={self.received}"
                    )
                self._cond.wait(min(remaining, 0.2))
