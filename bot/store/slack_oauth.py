"""Slack installations and OAuth state: slack_sdk's SQLAlchemy stores on our engine, usable from asyncio.

slack_sdk's SQLAlchemy stores are synchronous; Bolt's AsyncApp wants AsyncInstallationStore /
AsyncOAuthStateStore. The adapters run each call in a worker thread so the event loop (and every ack)
never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
from logging import Logger

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.store.db import ensure_schema
from bot.store.tables import SLACK_BOTS_TABLE, SLACK_INSTALLATIONS_TABLE, SLACK_OAUTH_STATES_TABLE

log = logging.getLogger(__name__)


def build_installation_store(engine: Engine, client_id: str) -> SQLAlchemyInstallationStore:
    return SQLAlchemyInstallationStore(
        client_id=client_id,
        engine=engine,
        bots_table_name=SLACK_BOTS_TABLE,
        installations_table_name=SLACK_INSTALLATIONS_TABLE,
        logger=log,
    )


def build_state_store(engine: Engine, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=expiration_seconds, engine=engine, logger=log, table_name=SLACK_OAUTH_STATES_TABLE
    )


async def _in_thread(store, method: str, /, *args, **kwargs):
    def call():
        ensure_schema(store.engine)
        return getattr(store, method)(*args, **kwargs)

    return await asyncio.to_thread(call)


class AsyncInstallationStoreAdapter(AsyncInstallationStore):
    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> Logger:
        return self.store.logger

    async def async_save(self, installation: Installation) -> None:
        await _in_thread(self.store, "save", installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await _in_thread(self.store, "save_bot", bot)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        return await _in_thread(
            self.store,
            "find_bot",
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await _in_thread(
            self.store,
            "find_installation",
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await _in_thread(self.store, "delete_bot", enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await _in_thread(
            self.store, "delete_installation", enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await _in_thread(self.store, "delete_all", enterprise_id=enterprise_id, team_id=team_id)


class AsyncOAuthStateStoreAdapter(AsyncOAuthStateStore):
    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> Logger:
        return self.store.logger

    async def async_issue(self, *args, **kwargs) -> str:
        return await _in_thread(self.store, "issue", *args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        return await _in_thread(self.store, "consume", state)
