"""The bot's identity (auth.test) for a single-workspace token, looked up lazily and never before an ack.

Bolt's default single-workspace authorization calls auth.test before the first ack and again on every request
until it succeeds: with the Web API unreachable or slow at start, every Slack request failed with a 500 or was
acked late. Here the lookup starts in the background with the first verified request, and is retried at most
once per retry interval until it succeeds; requests are authorised with the token meanwhile, and replies that
cannot reach the Web API are logged as undelivered by the delivery code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

AUTH_TEST_TIMEOUT_SECONDS = 10.0
AUTH_TEST_RETRY_SECONDS = 30.0
_EVENT_BOT_USER = "whodecides_event_bot_user_id"


class LazyBotIdentity:
    def __init__(self, client: AsyncWebClient, token: str, *, retry: float = AUTH_TEST_RETRY_SECONDS) -> None:
        self.client = client
        self.token = token
        self.retry = retry
        self.identity: dict[str, Any] | None = None
        self._last_try: float | None = None
        self._task: asyncio.Task[None] | None = None

    def refresh_in_background(self) -> None:
        """Start an auth.test unless one runs, one succeeded, or the last failure is recent."""
        if self.identity is not None or (self._task is not None and not self._task.done()):
            return
        if self._last_try is not None and time.monotonic() - self._last_try < self.retry:
            return
        self._last_try = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._check())

    async def _check(self) -> None:
        try:
            response = await asyncio.wait_for(self.client.auth_test(token=self.token), AUTH_TEST_TIMEOUT_SECONDS)
        except Exception as exc:  # the Web API is down, slow or refuses the token: log and retry later
            log.warning(
                "Slack: auth.test failed (%s); acknowledging requests anyway, retrying in %.0f s",
                str(exc) or type(exc).__name__,
                self.retry,
            )
            return
        self.identity = dict(response.data) if isinstance(response.data, dict) else {}
        log.info("Slack: connected as %s (team %s)", self.identity.get("user"), self.identity.get("team"))

    def authorize(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """The `authorize` function for Bolt's AsyncApp: instant, whatever the Web API does."""

        async def authorize(
            context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            self.refresh_in_background()
            known = self.identity or {}
            return AuthorizeResult(
                enterprise_id=enterprise_id or known.get("enterprise_id"),
                team_id=team_id or known.get("team_id"),
                user_id=user_id,
                bot_token=self.token,
                bot_id=known.get("bot_id"),
                # Until auth.test has answered, an event says who the bot is itself (its `authorizations`).
                bot_user_id=known.get("user_id") or context.get(_EVENT_BOT_USER),
            )

        return authorize

    @staticmethod
    def before_authorize() -> Callable[..., Awaitable[Any]]:
        """Bolt middleware (`before_authorize`): note the bot user id an Events API payload carries."""

        async def note_bot_user(body: dict[str, Any], context: AsyncBoltContext, next: Any) -> Any:
            for entry in body.get("authorizations") or []:
                if isinstance(entry, dict) and entry.get("is_bot") and isinstance(entry.get("user_id"), str):
                    context[_EVENT_BOT_USER] = entry["user_id"]
                    break
            return await next()

        return note_bot_user
