"""A thread's earlier messages (conversations.replies), read as context for an answer, never as the question.

Reading them needs the history scopes (channels:history, groups:history, im:history, mpim:history). A
workspace that installed the app without them gets `missing_scope`: the answer is then made from the
message alone, and the log says which scope would help.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.text import to_plain

log = logging.getLogger(__name__)

MAX_MESSAGES = 50  # the newest earlier messages read; older ones rarely say more about the company
MAX_CHARS = 4000  # what is handed to the engine, the newest kept


def _ts_key(ts: str | None) -> tuple[int, int]:
    """Slack timestamps ("1700000000.000100") in order; anything unreadable sorts first."""
    seconds, _, micros = str(ts or "").partition(".")
    try:
        return int(seconds), int(micros or 0)
    except ValueError:
        return 0, 0


def _by_a_person(message: dict[str, Any], bot_user_id: str | None) -> bool:
    if message.get("bot_id") or message.get("subtype") not in (None, "thread_broadcast", "file_share"):
        return False
    return not (bot_user_id and message.get("user") == bot_user_id)


async def earlier_messages(
    client: AsyncWebClient, *, channel: str, thread_ts: str, before: str | None, bot_user_id: str | None
) -> str:
    """What people wrote in the thread before `before` (the asking message), as plain text; "" when the
    thread cannot be read. Bots' messages, ours included, are left out: only what people said counts."""
    try:
        response = await client.conversations_replies(channel=channel, ts=thread_ts, limit=MAX_MESSAGES + 1)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error == "missing_scope":
            log.warning(
                "thread context skipped: the app lacks the %s scope (reinstall it with the manifest's scopes); "
                "answering from the message alone",
                exc.response.get("needed") or "history",
            )
        else:
            log.warning("thread context skipped (%s); answering from the message alone", error or exc)
        return ""
    except Exception as exc:  # noqa: BLE001 - context is a nicety: the answer must still come
        log.warning("thread context skipped (%s); answering from the message alone", type(exc).__name__)
        return ""
    limit = _ts_key(before) if before else None
    texts = [
        to_plain(m.get("text"), bot_user_id)
        for m in response.get("messages") or []
        if isinstance(m, dict) and _by_a_person(m, bot_user_id) and (limit is None or _ts_key(m.get("ts")) < limit)
    ]
    joined = " ".join(t if t.endswith((".", "!", "?")) else t + "." for t in texts[-MAX_MESSAGES:] if t)
    return joined[-MAX_CHARS:]
