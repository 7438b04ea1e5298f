"""Answerer.answer(question) -> Answer: the one use case every adapter calls."""

from __future__ import annotations

from typing import Protocol

from bot.results import Answer


class AnswererLike(Protocol):
    def answer(self, question: str) -> Answer: ...
