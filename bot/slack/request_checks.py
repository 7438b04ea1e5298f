"""What a Slack request must be before Bolt sees it: correctly signed, and shaped like what Slack sends.

Bolt raises (a 500 with a traceback) on a timestamp header it cannot parse, on a body that is not UTF-8, and
on a signed body of the wrong shape (a JSON list, `event` as a string, `actions` that is not a list...).
These functions turn each case into a plain refusal the server answers with 401 or 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier


def signature_problem(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> str | None:
    """None for a correctly signed, fresh request; else why not (never raises)."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return "missing or malformed timestamp"
    if not headers.get("x-slack-signature"):
        return "missing signature"
    try:
        text = body.decode("utf-8")
        valid = verifier.is_valid(body=text, timestamp=timestamp, signature=headers["x-slack-signature"])
    except (UnicodeDecodeError, ValueError, TypeError):
        return "body is not UTF-8 text"
    return None if valid else "invalid or expired signature"


def shape_problem(body: bytes, content_type: str | None) -> str | None:
    """None when Bolt can read the (already verified) body; else what is wrong with it. Parses as Bolt does."""
    text = body.decode("utf-8")
    if not text:
        return None
    try:
        if (content_type or "").split(";")[0].strip() == "application/json" or text.startswith("{"):
            return _payload_problem(json.loads(text))
        if "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            return None if payload is None else _payload_problem(json.loads(payload))
    except (ValueError, RecursionError):
        return "body is not valid JSON"
    return None  # a slash command: plain form fields


def _payload_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return f"payload is a JSON {type(payload).__name__}, not an object"
    if "event" in payload:
        event = payload["event"]
        if not isinstance(event, dict) or not isinstance(event.get("type", ""), str):
            return "event is not an object with a type"
    for key in ("user", "team", "channel", "container", "view", "message"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], dict):
            return f"{key} is not an object"
    if "actions" in payload:
        actions = payload["actions"]
        if not isinstance(actions, list):
            return "actions is not a list"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return "an action has no action_id"
    if payload.get("type") == "block_actions" and not payload.get("actions"):
        return "block_actions without actions"
    return None
