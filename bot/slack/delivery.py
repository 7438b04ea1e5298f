"""Getting a message to Slack, or failing loudly: Web API clients with retries, response_url, apologies.

Every Slack client the app creates comes from `make_web_client`, so SLACK_API_URL (settings.slack_api_url)
is the base URL of all of them, and all retry 429 (after Retry-After), 5xx and dropped connections.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.render.slack import SlackMessage, render_apology
from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
HTTP_TIMEOUT = 15  # seconds per attempt; the ack never waits on these calls
RESPONSE_URL_BACKOFF = 0.5  # seconds before the first retry of a 5xx from response_url, doubling


class AsyncAnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """slack_sdk's handler retries 500 and 503 only; a 502 or 504 from a proxy deserves a retry too."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code <= 599


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncAnyServerErrorRetryHandler(max_retry_count=2),
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
    ]


def api_base_url(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def make_web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """The one factory for Web API clients (Bolt's, the OAuth flow's, Socket Mode's)."""
    return AsyncWebClient(
        token=token,
        base_url=api_base_url(settings),
        timeout=HTTP_TIMEOUT,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("bot.slack.web"),
    )


async def post_reply(client: AsyncWebClient, *, channel: str, thread_ts: str | None, message: SlackMessage) -> bool:
    """chat.postMessage (retried by the client); if the answer still cannot be sent, a short apology."""
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message.as_kwargs())
        return True
    except Exception as exc:  # noqa: BLE001 - any failure: try the apology, never go silent
        log.error("could not post the answer to %s: %s; sending an apology", channel, exc)
    apology = render_apology()
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=apology.text)
    except Exception as exc:  # noqa: BLE001
        log.error("could not post the apology to %s either: %s", channel, exc)
    return False


async def send_to_response_url(response_url: str, body: dict[str, Any], *, attempts: int = 3) -> bool:
    """POST to a response_url; True when Slack took it.

    slack_sdk's webhook client retries 429s and connection errors through the handlers but returns 5xx
    as they are, so 5xx answers get their retries (with backoff) here.
    """
    client = AsyncWebhookClient(url=response_url, timeout=HTTP_TIMEOUT, retry_handlers=retry_handlers())
    for attempt in range(1, attempts + 1):
        try:
            response = await client.send_dict(body)
        except Exception as exc:  # noqa: BLE001
            log.error("response_url call failed: %s", exc)
            return False
        if response.status_code == 200:
            return True
        log.error("response_url answered %s: %s", response.status_code, (response.body or "")[:200])
        if not 500 <= response.status_code <= 599 or attempt == attempts:
            return False
        await asyncio.sleep(RESPONSE_URL_BACKOFF * 2 ** (attempt - 1))
    return False


async def respond(
    response_url: str | None,
    message: SlackMessage,
    *,
    response_type: str = "ephemeral",
    replace_original: bool | None = False,
    delete_original: bool | None = None,
    fallback_client: AsyncWebClient | None = None,
    channel: str | None = None,
    user: str | None = None,
) -> bool:
    """Answer through response_url; on failure an apology there, then as chat.postEphemeral / DM.

    Returns True when the message itself was delivered.
    """
    body: dict[str, Any] = {"response_type": response_type, **message.as_kwargs()}
    if replace_original is not None:
        body["replace_original"] = replace_original
    if delete_original is not None:
        body["delete_original"] = delete_original
    if response_url and await send_to_response_url(response_url, body):
        return True
    if response_url:
        apology = {"response_type": "ephemeral", "replace_original": False, "text": render_apology().text}
        if await send_to_response_url(response_url, apology):
            return False
    if fallback_client is not None and user:
        try:
            if channel:
                await fallback_client.chat_postEphemeral(channel=channel, user=user, **message.as_kwargs())
            else:  # e.g. a click in App Home: no response_url, no channel; the app's DM with the user
                await fallback_client.chat_postMessage(channel=user, **message.as_kwargs())
            return True
        except Exception as exc:  # noqa: BLE001
            log.error("could not reach the user by the Web API either: %s", exc)  # no user id at ERROR
    log.error("the user got neither the answer nor an apology (response_url=%s)", bool(response_url))
    return False
