"""`whodecides socket`: the same Slack app over Socket Mode, for workspaces without a public URL.

slack_sdk's aiohttp Socket Mode client opens the WebSocket from apps.connections.open, acks each envelope,
and reconnects by itself when Slack asks (a `disconnect` message) or the connection drops.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation import AnswererLike
from bot.errors import WhodecidesError
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.delivery import make_web_client

log = logging.getLogger(__name__)

PING_INTERVAL = 10.0  # seconds between pings; a dead connection is noticed and replaced


def check_socket_settings(settings: Settings) -> None:
    """Socket Mode needs the app-level token and the bot token; no signing secret, no public URL."""
    if not settings.slack_app_token:
        raise WhodecidesError(
            "Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-…, with the connections:write scope)."
        )
    if not settings.slack_app_token.startswith("xapp-"):
        raise WhodecidesError("SLACK_APP_TOKEN must be an app-level token starting with xapp-.")
    if not settings.slack_bot_token:
        raise WhodecidesError("Socket Mode needs SLACK_BOT_TOKEN (xoxb-…) as well as SLACK_APP_TOKEN.")


def build_socket_handler(
    settings: Settings,
    app: AsyncApp,
    *,
    web_client: AsyncWebClient | None = None,
    ping_interval: float = PING_INTERVAL,
) -> AsyncSocketModeHandler:
    """The Socket Mode handler; its Web API client (apps.connections.open) honours SLACK_API_URL too."""
    return AsyncSocketModeHandler(
        app,
        app_token=settings.slack_app_token,
        web_client=web_client or make_web_client(settings),
        ping_interval=ping_interval,
        logger=logging.getLogger("bot.slack.socket_mode"),
    )


async def run_until(handler: AsyncSocketModeHandler, stop: asyncio.Event) -> None:
    """Connect, then keep serving (reconnecting as needed) until `stop` is set."""
    await handler.connect_async()
    log.info("Socket Mode connected; answering until stopped")
    try:
        await stop.wait()
    finally:
        await handler.close_async()
        from bot.slack.app import drain

        await drain(handler.app)  # type: ignore[arg-type]


def build_socket_app(
    settings: Settings, answerer: AnswererLike | None = None, *, runtime: Runtime | None = None
) -> AsyncApp:
    from bot.slack.app import build_slack_app

    runtime = runtime or build_runtime(settings, answerer=answerer)
    runtime.prepare_database()
    return build_slack_app(settings, runtime)


def run(settings: Settings, runtime: Runtime) -> None:
    """`whodecides socket` (Procfile `worker:`): serve `runtime` over Socket Mode until interrupted."""

    async def main() -> None:
        stop = asyncio.Event()
        # SIGTERM (a platform restarting the worker) and Ctrl-C stop cleanly: answers in flight are sent.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        handler = build_socket_handler(settings, build_socket_app(settings, runtime=runtime))
        await run_until(handler, stop)
        runtime.close()
        log.info("stopped")

    asyncio.run(main())
