"""build_slack_app: the Bolt AsyncApp with every listener and middleware registered in this one place."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest as BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.slack import (
    ACTION_EXAMPLE_PATTERN,
    ACTION_FEEDBACK,
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_SHARE,
    ACTION_WHY,
)
from bot.render.slack_feedback import REASON_VIEW
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.delivery import make_web_client
from bot.slack.identity import LazyBotIdentity
from bot.slack.listeners import SlackListeners
from bot.slack.native import MESSAGE_SHORTCUT, SlackNativeListeners, build_assistant
from bot.store import (
    AsyncInstallationStoreAdapter,
    AsyncOAuthStateStoreAdapter,
    EventDedupe,
    build_installation_store,
    build_state_store,
)

log = logging.getLogger(__name__)

COMMAND = re.compile(r"^/whodecides")  # also matches e.g. /whodecides-dev for a second test app
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


DEDUPE_WAIT = 1.0  # seconds the ack may wait for the database's verdict; Slack allows 3 in all


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and then warns that our client's token wins;
    the client carries that very token (from Settings), so the warning only confuses operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`token` will be unused" not in message and "will be ignored" not in message


BOLT_LOGGER = logging.getLogger("bot.slack.bolt")
BOLT_LOGGER.addFilter(_QuietTokenWarning())


def dedupe_middleware(dedupe: EventDedupe) -> Callable[..., Awaitable[Any]]:
    """Events API retries (X-Slack-Retry-Num) and replicas: each event_id is handled once, by one process.

    The claim runs before the ack, so it is bounded: a database that hangs (a network partition, a lock)
    counts as down, and the event is answered (degraded dedupe) rather than acked late.
    """

    async def dedupe_events(body: dict[str, Any], next: Callable[[], Awaitable[None]], request: BoltRequest) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                claimed = await asyncio.wait_for(asyncio.to_thread(dedupe.claim, str(event_id)), DEDUPE_WAIT)
            except TimeoutError:
                log.error("degraded dedupe: the database took over %.1f s for event %s", DEDUPE_WAIT, event_id)
                claimed = True
            if not claimed:
                retry = (request.headers.get("x-slack-retry-num") or [None])[0]
                log.info("event %s already handled (retry %s): acknowledged, not answered again", event_id, retry)
                return BoltResponse(status=200, body="")
        return await next()

    return dedupe_events


def build_slack_app(settings: Settings, runtime: Runtime, client: AsyncWebClient | None = None) -> AsyncApp:
    """The Slack app on the runtime's Conversation and stores. Single workspace with SLACK_BOT_TOKEN, or
    multi-workspace OAuth with SLACK_CLIENT_ID/SECRET (installations and OAuth state in the same database)."""
    oauth: dict[str, Any] = {}
    if settings.slack_oauth_enabled:
        # No token: each request is authorised from the installation store, per workspace.
        client = client or make_web_client(settings)
        oauth = _oauth(settings, runtime, client)
    else:
        client = client or make_web_client(settings, token=settings.slack_bot_token)
        # auth.test in the background, never before an ack (Bolt's default runs it first, and 500s without it).
        identity = LazyBotIdentity(client, client.token or settings.slack_bot_token or "")
        oauth = {"authorize": identity.authorize(), "before_authorize": identity.before_authorize()}
    app = AsyncApp(
        name="whodecides",
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        logger=BOLT_LOGGER,
        **oauth,
    )
    app.use(dedupe_middleware(runtime.dedupe))
    listeners = SlackNativeListeners(runtime.conversation)
    app.whodecides_listeners = listeners  # type: ignore[attr-defined]  # for drain() at shutdown
    register_listeners(app, listeners)
    return app


def register_listeners(app: AsyncApp, listeners: SlackNativeListeners) -> None:
    """Every Slack listener, in one place."""
    # The AI app surface first: Bolt's middleware takes the assistant events and DM-thread messages.
    app.assistant(build_assistant(listeners, BOLT_LOGGER))
    app.message_shortcut(MESSAGE_SHORTCUT)(listeners.message_shortcut)
    app.action(ACTION_FEEDBACK)(listeners.native_feedback)
    app.view_submission(REASON_VIEW)(listeners.feedback_reason)
    app.command(COMMAND)(listeners.command)
    app.event("app_mention")(listeners.app_mention)
    app.event("message")(listeners.message)
    app.event("app_home_opened")(listeners.app_home_opened)
    app.action(ACTION_FEEDBACK_UP)(listeners.feedback)
    app.action(ACTION_FEEDBACK_DOWN)(listeners.feedback)
    app.action(ACTION_WHY)(listeners.why)
    app.action(ACTION_SHARE)(listeners.share)
    app.action(ACTION_EXAMPLE_PATTERN)(listeners.example)


def _oauth(settings: Settings, runtime: Runtime, client: AsyncWebClient) -> dict[str, Any]:
    """Bolt's OAuth settings on our database, with every Web API call going to SLACK_API_URL."""
    installations = AsyncInstallationStoreAdapter(
        build_installation_store(runtime.engine, client_id=settings.slack_client_id or "")
    )
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=settings.slack_scopes,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations,
        state_store=AsyncOAuthStateStoreAdapter(build_state_store(runtime.engine)),
    )
    # AsyncOAuthSettings builds an authorizer whose token rotator has its own default client; give it
    # ours so that even token rotation goes to SLACK_API_URL.
    oauth_settings.authorize = AsyncInstallationStoreAuthorize(
        logger=BOLT_LOGGER,
        client_id=oauth_settings.client_id,
        client_secret=oauth_settings.client_secret,
        token_rotation_expiration_minutes=oauth_settings.token_rotation_expiration_minutes,
        installation_store=installations,
        bot_only=oauth_settings.installation_store_bot_only,
        user_token_resolution=oauth_settings.user_token_resolution,
        client=client,
    )
    return {"installation_store": installations, "oauth_settings": oauth_settings}


async def drain(app: AsyncApp, timeout: float = 10.0) -> None:
    """Let answers in flight be delivered before the process stops."""
    listeners: SlackListeners | None = getattr(app, "whodecides_listeners", None)
    if listeners is not None:
        await listeners.drain(timeout)
