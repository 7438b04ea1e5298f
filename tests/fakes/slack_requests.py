"""What Slack sends: v0-signed HTTP requests for events, slash commands and interactivity."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "whodecides-test-signing-secret"
_ids = itertools.count(1)


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 scheme: HMAC-SHA256 of "v0:{timestamp}:{body}" with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def slash_command_body(
    text: str,
    *,
    response_url: str,
    user_id: str = "UASKER",
    channel_id: str = "C0001",
    team_id: str = "T0001",
    command: str = "/whodecides",
) -> str:
    return urlencode(
        {
            "token": "deprecated",
            "team_id": team_id,
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": "asker",
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "response_url": response_url,
            "trigger_id": f"trigger.{next(_ids)}",
        }
    )


def event_body(event: dict[str, Any], *, event_id: str | None = None, team_id: str = "T0001") -> str:
    return json.dumps(
        {
            "token": "deprecated",
            "team_id": team_id,
            "api_app_id": "A0001",
            "event": {"event_ts": event.get("ts", "1700000000.000100"), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
        }
    )


def mention(text: str, *, channel: str = "C0001", user: str = "UASKER", ts: str = "1700000000.000100", **extra: Any):
    return {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, **extra}


def dm(text: str, *, channel: str = "D0001", user: str = "UASKER", ts: str = "1700000000.000200", **extra: Any):
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        **extra,
    }


def block_action_body(
    action_id: str,
    value: str | None,
    *,
    response_url: str | None,
    user: str = "UCLICKER",
    channel: str | None = "C0001",
    team_id: str = "T0001",
    ephemeral: bool = True,
    action_type: str = "button",
    block_id: str = "whodecides_answer_actions",
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "test"},
        "user": {"id": user, "username": "clicker", "team_id": team_id},
        "api_app_id": "A0001",
        "token": "deprecated",
        "trigger_id": f"trigger.{next(_ids)}",
        "actions": [
            {
                "type": action_type,
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": "button"},
                "value": value,
                "action_ts": "1700000002.000100",
            }
        ],
    }
    if value is None:
        del payload["actions"][0]["value"]
    if channel is not None:
        payload["channel"] = {"id": channel, "name": "general"}
        payload["container"] = {
            "type": "message",
            "message_ts": "1700000000.000300",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
    else:  # App Home: a view container, no channel, no response_url
        payload["container"] = {"type": "view", "view_id": "V0001"}
        payload["view"] = {"id": "V0001", "type": "home"}
    if response_url is not None:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def feedback_values(message: dict[str, Any]) -> dict[str, str]:
    """{"up": value, "down": value} of the feedback_buttons element in a delivered message's blocks, or {}."""
    for block in message.get("blocks") or []:
        if block.get("type") == "context_actions":
            for element in block.get("elements") or []:
                if element.get("type") == "feedback_buttons":
                    return {
                        "up": element["positive_button"]["value"],
                        "down": element["negative_button"]["value"],
                    }
    return {}


def message_action_body(
    message: dict[str, Any],
    *,
    response_url: str,
    callback_id: str = "whodecides_message",
    user: str = "UCLICKER",
    channel: str = "C0001",
    team_id: str = "T0001",
) -> str:
    """A message shortcut, as Slack sends it when someone picks it from a message's ⋮ menu."""
    payload = {
        "type": "message_action",
        "token": "deprecated",
        "action_ts": "1700000003.000100",
        "team": {"id": team_id, "domain": "test"},
        "user": {"id": user, "username": "clicker", "team_id": team_id, "name": "clicker"},
        "channel": {"id": channel, "name": "general"},
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": f"trigger.{next(_ids)}",
        "response_url": response_url,
        "message_ts": message.get("ts", "1700000000.000500"),
        "message": {"type": "message", "ts": "1700000000.000500", **message},
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    view: dict[str, Any], values: dict[str, Any], *, user: str = "UCLICKER", team_id: str = "T0001"
) -> str:
    """A modal sent: Slack echoes the view it opened, with what the user entered in `state.values`."""
    payload = {
        "type": "view_submission",
        "token": "deprecated",
        "team": {"id": team_id, "domain": "test"},
        "user": {"id": user, "username": "clicker", "team_id": team_id},
        "api_app_id": "A0001",
        "trigger_id": f"trigger.{next(_ids)}",
        "view": {"id": "VMODAL", "team_id": team_id, "app_id": "A0001", **view, "state": {"values": values}},
    }
    return urlencode({"payload": json.dumps(payload)})


class SlackSender:
    """Posts signed requests to the server under test, the way Slack does."""

    def __init__(self, base_url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.http = httpx.Client(timeout=30)

    def close(self) -> None:
        self.http.close()

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {
            "Content-Type": content_type,
            **sign(body, timestamp, secret or self.secret),
            **(headers or {}),
        }
        return self.http.post(self.url, content=body.encode("utf-8"), headers=all_headers)

    def command(self, text: str, *, response_url: str, **kw: Any) -> httpx.Response:
        return self.post(slash_command_body(text, response_url=response_url, **kw), "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None):
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(event_body(event, event_id=event_id), "application/json", headers=headers)

    def action(self, action_id: str, value: str | None, *, response_url: str | None, **kw: Any) -> httpx.Response:
        body = block_action_body(action_id, value, response_url=response_url, **kw)
        return self.post(body, "application/x-www-form-urlencoded")

    def feedback(self, value: str, *, response_url: str | None, **kw: Any) -> httpx.Response:
        """A click on one of Slack's native feedback_buttons (its value says which)."""
        kw = {"action_type": "feedback_buttons", "block_id": "whodecides_feedback", **kw}
        return self.action("whodecides_feedback", value, response_url=response_url, **kw)

    def shortcut(self, message: dict[str, Any], *, response_url: str, **kw: Any) -> httpx.Response:
        return self.post(
            message_action_body(message, response_url=response_url, **kw), "application/x-www-form-urlencoded"
        )

    def submit(self, view: dict[str, Any], values: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.post(view_submission_body(view, values, **kw), "application/x-www-form-urlencoded")
