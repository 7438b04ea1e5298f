"""A local Bot Framework connector (the service behind an activity's serviceUrl), on 127.0.0.1.

It speaks the REST API the Teams SDK calls to reply: `POST /v3/conversations/{conversationId}/activities`
(messages and typing activities alike), answering `{"id": ...}` as the real service does. Everything posted
is recorded, in order, with its headers, so tests can assert on what a Teams user would have seen.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes.recording_http import FakeRequestHandler, RecordingHttpServer

_ACTIVITIES = re.compile(r"^/v3/conversations/(?P<conversation>[^/]+)/activities(?:/(?P<activity>[^/]+))?/?$")


@dataclass(frozen=True)
class Posted:
    method: str
    conversation_id: str
    reply_to: str | None  # the activity id in /activities/{id} (a reply), None for a plain send
    activity: dict[str, Any]
    headers: dict[str, str]  # lower-cased names
    id: str = ""  # the id the connector answered with: what Teams' feedback loop sends back as replyToId

    @property
    def type(self) -> str:
        return str(self.activity.get("type"))

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class TeamsConnector(RecordingHttpServer):
    methods = ("POST", "PUT")
    thread_name = "teams-connector"

    host: str = "127.0.0.1"
    posted: list[Posted] = field(default_factory=list)
    # Statuses to answer the next message posts with (e.g. [500]): a connector that fails, then recovers.
    fail_messages: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ what was received
    def of_type(self, kind: str) -> list[Posted]:
        with self._lock:
            return [p for p in self.posted if p.type == kind]

    @property
    def messages(self) -> list[Posted]:
        return self.of_type("message")

    @property
    def typing(self) -> list[Posted]:
        return self.of_type("typing")

    def clear(self) -> None:
        with self._lock:
            self.posted.clear()

    # ------------------------------------------------------------ the wire
    def _handle(self, request: FakeRequestHandler, method: str) -> None:
        raw = request.read_body()
        match = _ACTIVITIES.match(urlsplit(request.path).path)
        if match is None:
            request.send_json(404, {"error": {"code": "NotFound", "message": request.path}})
            return
        try:
            activity = json.loads(raw or b"{}")
        except ValueError:
            request.send_json(400, {"error": {"code": "BadArgument", "message": "invalid JSON"}})
            return
        posted = Posted(
            method=method,
            conversation_id=unquote(match["conversation"]),
            reply_to=unquote(match["activity"]) if match["activity"] else None,
            activity=activity,
            headers={k.lower(): v for k, v in request.headers.items()},
        )
        with self._lock:
            status = self.fail_messages.pop(0) if posted.type == "message" and self.fail_messages else 200
            if status == 200:
                posted = dataclasses.replace(posted, id=f"activity-{len(self.posted) + 1}")
                self.posted.append(posted)
        if status != 200:
            request.send_json(status, {"error": {"code": "ServiceError", "message": "injected failure"}})
            return
        request.send_json(200, {"id": posted.id})
