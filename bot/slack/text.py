"""Slack's message encoding → the plain question the engine reads."""

from __future__ import annotations

import re

from bot.conversation.context import Mention

_TOKEN = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>")


def mentions(text: str | None, bot_user_id: str | None = None) -> tuple[Mention, ...]:
    """The users Slack itself encoded as mentions (<@U…>, <@U…|name>): what `roles` may name, never typed text."""
    found = (Mention(uid, label.lstrip("@")) for uid, label in _USER.findall(text or "") if uid != bot_user_id)
    return tuple(dict.fromkeys(found))


def to_plain(text: str | None, bot_user_id: str | None = None) -> str:
    """Drop the bot's own mention, turn <@U1>/<!here>/<#C1|name>/<url|label> into readable text, unescape.

    The result is what the user meant to ask; renderers escape it again wherever it is echoed.
    """

    def readable(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return ""
            return "@" + (label or target[1:]).lstrip("@")
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0]).lstrip("@")
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return label or target

    plain = _TOKEN.sub(readable, text or "")
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(plain.split())
