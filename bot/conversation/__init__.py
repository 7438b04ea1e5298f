"""The platform-neutral conversation: Slack and Teams adapters translate in and render out, nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.conversation.context import CLI, Context, Mention, Platform
from bot.conversation.reply import AnswererLike, Button, Item, Person, Reply, ReplyKind, new_answer_id

if TYPE_CHECKING:
    from bot.conversation.core import VOTES, Command, Conversation, answer_workers

_CORE = frozenset({"VOTES", "Command", "Conversation", "answer_workers"})


def __getattr__(name: str) -> Any:
    # The core (and asyncio under it) loads on first use: `whodecides ask` renders replies but never needs it.
    if name in _CORE:
        from bot.conversation import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CLI",
    "VOTES",
    "AnswererLike",
    "Button",
    "Item",
    "Mention",
    "Person",
    "Command",
    "Context",
    "Conversation",
    "Platform",
    "Reply",
    "ReplyKind",
    "answer_workers",
    "new_answer_id",
]
