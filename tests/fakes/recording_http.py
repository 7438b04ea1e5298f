"""The skeleton shared by the HTTP fakes that record what they receive (Slack's Web API, Teams' connector).

A ThreadingHTTPServer on a free 127.0.0.1 port, served from a daemon thread, stopped and joined on exit. Its
handler speaks HTTP/1.1 (keep-alive, as the SDK clients use), writes no access log, and hands every request of
the fake's `methods` to `fake._handle(request, method)`, which parses it, records it and replies.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class FakeRequestHandler(BaseHTTPRequestHandler):
    owner: RecordingHttpServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
        """`payload` as JSON (a str goes as text/plain), with its length so a keep-alive client knows the end."""
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        self.send_response(status)
        content_type = "text/plain" if isinstance(payload, str) else "application/json; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra_headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def _dispatch_as(method: str) -> Any:
    def do(request: FakeRequestHandler) -> None:
        request.owner._handle(request, method)

    return do


class RecordingHttpServer:
    """start() / stop() or `with`; subclasses set `methods` and `thread_name` and implement `_handle`."""

    methods: tuple[str, ...] = ("POST",)  # the HTTP methods answered; any other gets http.server's 501
    thread_name = "recording-http"
    host = "127.0.0.1"
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _handle(self, request: FakeRequestHandler, method: str) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        handler = type(
            f"{type(self).__name__}Handler",
            (FakeRequestHandler,),
            {"owner": self, **{f"do_{m}": _dispatch_as(m) for m in self.methods}},
        )
        self._server = ThreadingHTTPServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, f"start() the {type(self).__name__} first"
        return self._server.server_address[1]
