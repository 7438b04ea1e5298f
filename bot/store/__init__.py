"""Persistence shared by the Slack and Teams adapters: feedback, event dedupe, Slack installations.

Everything goes through SQLAlchemy so one DATABASE_URL serves SQLite (embedded default) and PostgreSQL
(several replicas). No SQLite-only SQL here.
"""

from bot.store.db import ensure_schema, make_engine, upgrade_schema
from bot.store.dedupe import EventDedupe
from bot.store.feedback import FeedbackStore
from bot.store.slack_oauth import (
    AsyncInstallationStoreAdapter,
    AsyncOAuthStateStoreAdapter,
    build_installation_store,
    build_state_store,
)

__all__ = [
    "AsyncInstallationStoreAdapter",
    "AsyncOAuthStateStoreAdapter",
    "EventDedupe",
    "FeedbackStore",
    "build_installation_store",
    "build_state_store",
    "upgrade_schema",
    "ensure_schema",
    "make_engine",
]
