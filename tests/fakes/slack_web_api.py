"""A real HTTP stand-in for Slack's Web API and for response_url, on 127.0.0.1 (threaded http.server).

It records every request (method, headers, parsed body) and answers like Slack. Chosen calls can be made
to fail: HTTP 429 with Retry-After, a 5xx, a dropped connection, or an `ok: false` error. Tests assert on
what was received and how often; `wait_for` blocks (bounded) until the expected calls arrived.

Pattern after bolt-python's tests/mock_web_api_server.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.recording_http import FakeRequestHandler, RecordingHttpServer

RESPONSE_URL_METHOD = "response_url"


@dataclass
class Call:
    method: str  # Web API method ("chat.postMessage") or "response_url"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    outcome: str = "ok"  # ok | 429 | 500 | drop | error:<code> | invalid_auth
    at: float = field(default_factory=time.monotonic)  # when it arrived (to check Retry-After was honoured)

    @property
    def delivered(self) -> bool:
        return self.outcome == "ok"

    def text_everywhere(self) -> str:
        """Everything a user could see in this call, for 'does it ping / leak' assertions."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class Failure:
    kind: str  # "429" | "500" | "502" | "503" | "drop" | "error"
    retry_after: int = 1
    error: str = "internal_error"


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)


class SlackWebApiMock(RecordingHttpServer):
    methods = ("GET", "POST")
    thread_name = "slack-web-api-mock"

    def __init__(
        self,
        *,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T0001",
        app_id: str = "A0001",
    ) -> None:
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.app_id = app_id
        # What apps.connections.open returns: a URL, or a callable giving a fresh one per call.
        self.socket_mode_url: str | Callable[[], str] | None = None
        self._state = _State()
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        # conversations.replies: the messages of each thread, by (channel, thread_ts), oldest first.
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}

    # ------------------------------------------------------------------ addresses (start() first)
    @property
    def base_url(self) -> str:
        """SLACK_API_URL for the app under test."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # ------------------------------------------------------------------ scripting
    def fail_next(self, method: str, *failures: Failure | str) -> None:
        """The next calls of `method` fail, in order ("429", "500", "drop", or a Failure)."""
        with self._cond:
            for f in failures:
                self._state.failures[method].append(f if isinstance(f, Failure) else Failure(kind=f))

    def respond_with(self, method: str, body: dict[str, Any]) -> None:
        with self._cond:
            self._state.responses[method] = body

    def add_thread(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """What conversations.replies returns for that thread (each message needs at least its ts)."""
        with self._cond:
            self.threads[(channel, thread_ts)] = messages

    def missing_scope(self, method: str, needed: str) -> None:
        """`method` answers as Slack does for an app installed without `needed`, until reset()."""
        self.respond_with(method, {"ok": False, "error": "missing_scope", "needed": needed, "provided": "chat:write"})

    def reset(self) -> None:
        with self._cond:
            self._state = _State()

    # ------------------------------------------------------------------ assertions
    def calls(self, method: str | None = None, *, delivered_only: bool = False) -> list[Call]:
        with self._cond:
            found = [c for c in self._state.calls if method is None or c.method == method]
        return [c for c in found if c.delivered] if delivered_only else found

    def wait_for(self, method: str, count: int = 1, *, timeout: float = 20, delivered_only: bool = True) -> list[Call]:
        """Block until `count` calls of `method` arrived; bounded, so a missing call fails, not hangs."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._state.calls if c.method == method and (c.delivered or not delivered_only)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(c.method, c.outcome) for c in self._state.calls]
                    raise AssertionError(f"expected {count} x {method}, got {len(found)}; all calls: {seen}")
                self._cond.wait(remaining)

    def settle(self, quiet: float = 0.5, timeout: float = 10) -> None:
        """Wait until no request has arrived for `quiet` seconds (to prove a second call never comes)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            last = len(self._state.calls)
            while time.monotonic() < deadline:
                self._cond.wait(quiet)
                if len(self._state.calls) == last:
                    return
                last = len(self._state.calls)

    # ------------------------------------------------------------------ server side
    def _record(self, call: Call) -> None:
        with self._cond:
            self._state.calls.append(call)
            self._cond.notify_all()

    def _next_failure(self, method: str) -> Failure | None:
        with self._cond:
            queue = self._state.failures.get(method)
            return queue.popleft() if queue else None

    def _custom_response(self, method: str) -> dict[str, Any] | None:
        with self._cond:
            return self._state.responses.get(method)

    def _web_api_body(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        custom = self._custom_response(method)
        if custom is not None:
            return custom
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://whodecides-test.slack.com/",
                "team": "Test Team",
                "user": "whodecides",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = f"1700000000.{next(self._ts):06d}"
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": ts,
                "message": {"text": body.get("text")},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if method == "conversations.replies":
            with self._cond:
                messages = list(self.threads.get((str(body.get("channel")), str(body.get("ts"))), []))
            if not messages:
                return {"ok": False, "error": "thread_not_found"}
            limit = int(body.get("limit") or 1000)
            return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}
        if method in (
            "assistant.threads.setStatus",
            "assistant.threads.setTitle",
            "assistant.threads.setSuggestedPrompts",
        ):
            missing = [k for k in ("channel_id", "thread_ts") if not body.get(k)]
            return {"ok": False, "error": "invalid_arguments", "missing": missing} if missing else {"ok": True}
        if method == "views.open":
            if not body.get("trigger_id"):
                return {"ok": False, "error": "invalid_arguments"}
            view = body.get("view") or {}
            return {"ok": True, "view": {"id": "VMODAL", **view}}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", **(body.get("view") or {})}}
        if method == "apps.connections.open":
            url = self.socket_mode_url() if callable(self.socket_mode_url) else self.socket_mode_url
            return {"ok": True, "url": url}
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "access_token": "xoxb-installed-token",
                "token_type": "bot",
                "scope": "commands,app_mentions:read,chat:write",
                "bot_user_id": self.bot_user_id,
                "app_id": self.app_id,
                "team": {"name": "Installed Team", "id": "T0INSTALL"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "UINSTALLER"},
            }
        return {"ok": True}

    # ------------------------------------------------------------------ the wire
    def _handle(self, request: FakeRequestHandler, method: str) -> None:  # GET and POST alike
        path = urlparse(request.path).path
        body = _parse_body(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if path.startswith("/response/"):
            api_method = RESPONSE_URL_METHOD
        elif path.startswith("/api/"):
            api_method = path[len("/api/") :]
        else:
            request.send_json(404, {"ok": False, "error": "unknown_path"})
            return
        call = Call(method=api_method, path=path, headers=headers, body=body)

        failure = self._next_failure(api_method)
        if failure is not None:
            call.outcome = failure.kind if failure.kind != "error" else f"error:{failure.error}"
            self._record(call)
            if failure.kind == "drop":
                request.close_connection = True
                request.connection.close()  # no status line: the client sees a dropped connection
                return
            if failure.kind == "429":
                request.send_json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(failure.retry_after)})
                return
            if failure.kind == "error":
                request.send_json(200, {"ok": False, "error": failure.error})
                return
            request.send_json(int(failure.kind), {"ok": False, "error": "fatal_error"})
            return

        if api_method == RESPONSE_URL_METHOD:
            self._record(call)
            request.send_json(200, "ok")
            return
        if not _authorized(api_method, headers, body):
            call.outcome = "invalid_auth"
            self._record(call)
            request.send_json(200, {"ok": False, "error": "invalid_auth"})
            return
        self._record(call)
        request.send_json(200, self._web_api_body(api_method, body))


def _parse_body(request: FakeRequestHandler) -> dict[str, Any]:
    """Query string, then a JSON or form body (blocks, attachments and view decoded from JSON)."""
    raw = request.read_body().decode("utf-8")
    query = urlparse(request.path).query
    body: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
    if raw.startswith("{"):
        body.update(json.loads(raw))
    elif raw:
        for key, values in parse_qs(raw).items():
            value = values[0]
            if key in ("blocks", "attachments", "view") and value.startswith(("[", "{")):
                value = json.loads(value)
            body[key] = value
    return body


def _authorized(method: str, headers: dict[str, str], body: dict[str, Any]) -> bool:
    auth = headers.get("authorization", "")
    if method == "oauth.v2.access":
        return bool(auth.startswith("Basic ") or body.get("client_id"))
    if method == "apps.connections.open":
        return auth.startswith("Bearer xapp-")
    return auth.startswith("Bearer xoxb-") or auth.startswith("Bearer xoxp-")
