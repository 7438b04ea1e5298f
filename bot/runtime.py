"""build_runtime(settings): the one place the answerer, the database engine, the stores and the
Conversation are constructed, for the CLI, `serve` and `socket` alike.

Each piece is built on first use, so `whodecides feedback` never loads the model and `whodecides ask` never
opens the database. A test hands in the pieces it wants to control (a fake answerer, an engine on its own
database); the rest is built here as in production.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.conversation import AnswererLike
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.agreements.memory import TeamMemory
    from bot.conversation import Conversation
    from bot.store import EventDedupe, FeedbackStore

# The stores (SQLAlchemy, Alembic) are imported where they are built: `whodecides ask` never opens the database,
# and importing them alone took 0.3 s of every cold answer.

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, progress: bool = False, one_shot: bool = False, **given: Any) -> None:
        self.settings = settings
        self.progress = progress  # show the index build's progress bar, if the index must be built
        self.one_shot = one_shot  # one question, then exit (`whodecides ask "…"`): the answerer starts faster
        known = {"answerer", "engine", "feedback_store", "dedupe", "conversation", "team_memory"}
        for name, value in given.items():
            if name not in known:
                raise TypeError(f"unknown runtime piece {name}")
            if value is not None:
                self.__dict__[name] = value  # what cached_property would have stored: it is not built again

    @cached_property
    def answerer(self) -> AnswererLike:
        from bot.answer import Answerer  # the engine (numpy, faiss, the model) loads only when asked for

        return Answerer.from_settings(self.settings, progress=self.progress, one_shot=self.one_shot)

    @cached_property
    def engine(self) -> Engine:
        from bot.store import make_engine

        return make_engine(self.settings.database_url)

    @cached_property
    def feedback_store(self) -> FeedbackStore:
        from bot.store import FeedbackStore

        return FeedbackStore(self.engine)

    @cached_property
    def dedupe(self) -> EventDedupe:
        from bot.store import EventDedupe

        return EventDedupe(self.engine)

    @cached_property
    def team_memory(self) -> TeamMemory:
        from bot.agreements.matching import DecisionMatcher
        from bot.agreements.memory import TeamMemory
        from bot.agreements.store import TeamMemoryStore

        return TeamMemory(TeamMemoryStore(self.engine), DecisionMatcher(lambda: self.answerer))  # model loaded on use

    @cached_property
    def conversation(self) -> Conversation:
        from bot.conversation import Conversation  # asyncio and the rest: not for `whodecides ask`

        return Conversation(self.answerer, self.feedback_store, memory=self.team_memory)

    def prepare_database(self) -> bool:
        """Bring the schema up to date at start (every replica, under one lock); False when the database is
        down, in which case answers still flow and the stores retry the upgrade on use."""
        from bot.store import upgrade_schema

        try:
            upgrade_schema(self.engine)
        except Exception as exc:  # noqa: BLE001 - a database down at start must not stop the answers
            log.error("database unavailable at start (%s): answering anyway, feedback and dedupe degraded", exc)
            return False
        return True

    def close(self) -> None:
        if "conversation" in self.__dict__:
            self.conversation.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def build_runtime(settings: Settings, *, progress: bool = False, one_shot: bool = False, **given: Any) -> Runtime:
    """The runtime for `settings`; keyword arguments (answerer, engine, feedback_store, dedupe,
    conversation) replace the piece of that name."""
    return Runtime(settings, progress=progress, one_shot=one_shot, **given)
