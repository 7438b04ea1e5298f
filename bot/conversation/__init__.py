"""The platform-neutral conversation: Slack and Teams adapters translate in and render out, nothing more."""

from bot.conversation.context import CLI, Context, Platform
from bot.conversation.core import VOTES, Command, Conversation, answer_workers
from bot.conversation.reply import AnswererLike, Reply, ReplyKind, new_answer_id

__all__ = [
    "CLI",
    "VOTES",
    "AnswererLike",
    "Command",
    "Context",
    "Conversation",
    "Platform",
    "Reply",
    "ReplyKind",
    "answer_workers",
    "new_answer_id",
]
