"""ASGI middleware every POST goes through before the app: a body size limit and a deadline to send the body.

Slack and Teams post a few KB; nothing legitimate comes near 1 MB. An over-size body is refused from its
Content-Length before a byte of it is read (or as soon as a chunked body crosses the limit), so nobody can make
the server buffer 100 MB before the signature check. A body trickled in slower than the deadline gets 408.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # 1 MB
BODY_TIMEOUT_SECONDS = 30.0

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyGuard:
    def __init__(
        self, app: Any, *, max_bytes: int = MAX_BODY_BYTES, body_timeout: float = BODY_TIMEOUT_SECONDS
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await _refuse(send, 400, "invalid Content-Length", scope)
            return
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, 413, f"body over {self.max_bytes} bytes", scope)
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.body_timeout)
        except _TooLarge:
            await _refuse(send, 413, f"body over {self.max_bytes} bytes", scope)
            return
        except TimeoutError:
            await _refuse(send, 408, f"body not received within {self.body_timeout:.0f} s", scope)
            return
        except _Disconnected:
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only http.disconnect is left to wait for

        await self.app(scope, replay, send)

    async def _read(self, receive: Any) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent (chunked), -1 when unreadable."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit() or len(text) > 18:
                return -1
            return int(text)
    return None


_STATUS_TEXT = {400: "malformed request", 408: "request timeout", 413: "request body too large"}


async def _refuse(send: Any, status: int, why: str, scope: Scope) -> None:
    log.warning("refused %s %s with %d: %s", scope["method"], scope["path"], status, why)
    body = json.dumps({"error": _STATUS_TEXT[status]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),  # the unread rest of the body is not waited for
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
