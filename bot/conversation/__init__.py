"""The platform-neutral conversation: Slack and Teams adapters translate in and render out, nothing more."""

from bot.conversation.context import CLI, Context, Mention, Platform
from bot.conversation.core import VOTES, Command, Conversation, answer_workers
from bot.conversation.reply import AnswererLike, Button, Item, Person, Reply, ReplyKind, new_answer_id

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
