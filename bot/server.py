"""One ASGI app for every platform: Slack at /slack/*, Teams at /api/messages, and /healthz.

`whodecides serve` runs it under uvicorn (a production server, not Bolt's development server).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from bot.answer import AnswererLike
from bot.errors import WhodecidesError
from bot.http_guard import BodyGuard
from bot.settings import Settings
from bot.store import EventDedupe, FeedbackStore, create_schema, make_engine

log = logging.getLogger(__name__)


def build_server(
    settings: Settings,
    answerer: AnswererLike,
    *,
    slack_client: AsyncWebClient | None = None,
    engine: Engine | None = None,
    feedback_store: FeedbackStore | None = None,
    dedupe: EventDedupe | None = None,
) -> FastAPI:
    """The ASGI app. Slack is mounted when configured, Teams likewise; /healthz always."""
    engine = engine or make_engine(settings.database_url)
    try:
        create_schema(engine)
    except Exception as exc:  # noqa: BLE001 - answers still flow; the stores retry the schema on use
        log.error("database unavailable at start (%s): answering anyway, feedback and dedupe degraded", exc)
    feedback_store = feedback_store or FeedbackStore(engine)
    dedupe = dedupe or EventDedupe(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if app.state.slack_app is not None:
            from bot.slack.app import drain

            await drain(app.state.slack_app)  # answers already acked still reach their users
        engine.dispose()

    api = FastAPI(title="whodecides", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    api.state.settings = settings
    api.state.feedback_store = feedback_store
    api.state.slack_app = None
    api.add_middleware(BodyGuard)  # size limit and body deadline before any handler reads a byte

    @api.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "slack": settings.slack_enabled,
            "teams": settings.teams_enabled or settings.teams_allow_unauthenticated,
        }

    if settings.slack_enabled:
        _mount_slack(api, settings, answerer, slack_client, engine, feedback_store, dedupe)

    if settings.teams_enabled or settings.teams_allow_unauthenticated:
        from bot.teams.app import mount_teams  # the Teams SDK is imported only when Teams is on

        mount_teams(api, settings, answerer, feedback_store)
    return api


def _mount_slack(
    api: FastAPI,
    settings: Settings,
    answerer: AnswererLike,
    client: AsyncWebClient | None,
    engine: Engine,
    feedback_store: FeedbackStore,
    dedupe: EventDedupe,
) -> None:
    from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
    from slack_sdk.signature import SignatureVerifier

    from bot.slack.app import INSTALL_PATH, REDIRECT_PATH, build_slack_app
    from bot.slack.request_checks import shape_problem, signature_problem

    slack_app = build_slack_app(settings, answerer, client, engine=engine, feedback_store=feedback_store, dedupe=dedupe)
    handler = AsyncSlackRequestHandler(slack_app)
    api.state.slack_app = slack_app
    verifier = SignatureVerifier(settings.slack_signing_secret or "")

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        """Events API, slash commands and interactivity: signature checked, then Bolt acks and dispatches.

        Bolt parses the body before it verifies the signature, so a forged, unparsable body would be a
        500; checking the v0 signature here first makes every forgery a plain 401.
        """
        body = await request.body()
        refused = signature_problem(verifier, body, request.headers)
        if refused:
            log.warning("Slack request refused (401): %s", refused)
            return Response(status_code=401, content=b'{"error":"invalid request"}', media_type="application/json")
        malformed = shape_problem(body, request.headers.get("content-type"))
        if malformed:
            log.warning("Slack request malformed (400): %s", malformed)
            return Response(status_code=400, content=b'{"error":"malformed request"}', media_type="application/json")
        try:
            return await handler.handle(request)
        except ValueError:  # a signed body that is not what its content type says
            log.warning("Slack request malformed (400): unreadable body")
            return Response(status_code=400, content=b'{"error":"malformed request"}', media_type="application/json")

    if settings.slack_oauth_enabled:

        @api.get(INSTALL_PATH)
        async def slack_install(request: Request) -> Response:
            return await handler.handle(request)

        @api.get(REDIRECT_PATH)
        async def slack_oauth_redirect(request: Request) -> Response:
            return await handler.handle(request)


def _fail(message: str) -> None:
    print(f"whodecides: {message}", file=sys.stderr)
    raise SystemExit(2)


def serve(settings: Settings, port: int | None = None) -> None:
    """`whodecides serve`: check the configuration, load the engine, run uvicorn until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings.check_slack()
        settings.check_teams()
    except WhodecidesError as exc:
        _fail(exc.message)
    if not (settings.slack_enabled or settings.teams_enabled or settings.teams_allow_unauthenticated):
        log.warning(
            "neither Slack (SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET) nor Teams (CLIENT_ID, CLIENT_SECRET, "
            "TENANT_ID) is configured: serving /healthz only"
        )
    from bot.answer import Answerer  # type: ignore[attr-defined]

    try:
        answerer = Answerer.from_settings(settings)
        app = build_server(settings, answerer)
    except WhodecidesError as exc:
        _fail(exc.message)
    from bot.serving import run_uvicorn, settle_for_serving

    settle_for_serving()
    port = settings.port if port is None else port
    log.info("whodecides serving on http://%s:%d (slack=%s)", settings.host, port, settings.slack_enabled)
    run_uvicorn(app, settings.host, port)  # timeouts and limits: bot/serving.py
