"""What the Conversation hands an adapter to render: one frozen Reply, whatever the platform."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.results import Answer
from bot.texts import WELCOME


class AnswererLike(Protocol):
    """The one thing the conversation needs from the engine (bot.answer.Answerer implements it)."""

    def answer(self, question: str) -> Answer: ...


class ContextAnswererLike(Protocol):
    """An answerer that also reads what was said before (a thread's earlier messages) as context. The
    Conversation passes `context` only when there is some, so an answerer without it still works."""

    def answer(self, question: str, context: str = "") -> Answer: ...


class ReplyKind(StrEnum):
    USAGE = "usage"  # help: how to ask, with examples (and `text`, what was wrong, if anything)
    ANSWER = "answer"  # `answer` holds the Answer
    COMMAND = "command"  # the result of a command word (`text`), e.g. a stored agreement
    APOLOGY = "apology"  # the bot could not answer; `text` says so, never a stack trace
    NOTICE = "notice"  # a short acknowledgement, e.g. the thank-you for a vote
    WELCOME = "welcome"  # the greeting when the bot is added to a chat or a team, with example questions


def new_answer_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Reply:
    """A reply. `answer_id` ties a vote to the reply it is about; `public` asks the adapter to show the
    reply to the whole channel rather than privately where it has the choice (commands that change shared
    state announce themselves)."""

    kind: ReplyKind
    text: str = ""
    answer: Answer | None = None
    answer_id: str = field(default_factory=new_answer_id)
    public: bool = False

    @classmethod
    def usage(cls, problem: str = "") -> Reply:
        return cls(ReplyKind.USAGE, text=problem)

    @classmethod
    def of(cls, answer: Answer) -> Reply:
        return cls(ReplyKind.ANSWER, answer=answer)

    @classmethod
    def apology(cls, text: str) -> Reply:
        return cls(ReplyKind.APOLOGY, text=text)

    @classmethod
    def notice(cls, text: str) -> Reply:
        return cls(ReplyKind.NOTICE, text=text)

    @classmethod
    def welcome(cls) -> Reply:
        return cls(ReplyKind.WELCOME, text=WELCOME)
