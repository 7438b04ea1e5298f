"""The Teams adapter on the Teams SDK for Python (microsoft-teams-apps), mounted on the shared FastAPI server.

`mount_teams(api, ...)` adds `POST /api/messages` to the same FastAPI app that serves Slack. The SDK does the
Bot Framework work: JWT validation of inbound activities (keys fetched lazily on the first request, so the
server starts with no network), and outgoing activities posted to the activity's serviceUrl at
`/v3/conversations/{id}/activities` with a bot token it gets from Entra ID on the first reply.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from microsoft_teams.api import (
    ActivityTypeAdapter,
    ConversationReference,
    ConversationUpdateActivity,
    MessageActivity,
    MessageActivityInput,
    MessageSubmitActionInvokeActivity,
    SentActivity,
    TypingActivityInput,
)
from microsoft_teams.api.activities.utils import StripMentionsTextOptions, strip_mentions_text
from microsoft_teams.api.models import ChannelData
from microsoft_teams.api.models.entity import CitationEntity
from microsoft_teams.apps import ActivityContext, App
from microsoft_teams.apps.http import FastAPIAdapter, HttpRouteHandler
from microsoft_teams.apps.http.adapter import HttpMethod, HttpRequest
from microsoft_teams.apps.utils import extract_tenant_id
from pydantic import ValidationError

from bot.conversation import Context, Conversation, Reply, ReplyKind
from bot.render import teams as render
from bot.settings import Settings
from bot.teams.extension import MessageAction
from bot.teams.feedback_loop import UNREMEMBERED_QUESTION, RecentAnswers, SentAnswer, read_feedback
from bot.teams.keys import install as install_key_fetcher
from bot.teams.outbound import EncodedIdsApi

log = logging.getLogger(__name__)

MESSAGING_ENDPOINT = "/api/messages"
TYPING_REFRESH_SECONDS = 3.0  # Teams shows a typing indicator for about 3 s

UNAUTHENTICATED_BANNER = (
    "\n" + "!" * 78 + "\n"
    "!!! TEAMS_ALLOW_UNAUTHENTICATED=true: %s accepts UNAUTHENTICATED activities.\n"
    "!!! Anyone who can reach this server can make the bot post to any serviceUrl they name.\n"
    "!!! For local testing only. NEVER enable it in production.\n" + "!" * 78
)

T = TypeVar("T")
Activity = Any  # a message or an invoke: both have the conversation, sender and channel data read here


# ---------------------------------------------------------------- building
def mount_teams(api: FastAPI, settings: Settings, conversation: Conversation) -> None:
    """Serve Teams at POST /api/messages on `api`, the server's FastAPI app."""
    build_teams_app(settings, conversation, api=api)


def build_teams_app(settings: Settings, conversation: Conversation, *, api: FastAPI | None = None) -> App:
    """The Teams SDK App, its listeners registered and its route on `api` (a new FastAPI app if None)."""
    settings.check_teams()
    api = api if api is not None else FastAPI()
    unauthenticated = settings.teams_allow_unauthenticated
    if unauthenticated:
        log.warning(UNAUTHENTICATED_BANNER, MESSAGING_ENDPOINT)
    elif not settings.teams_enabled:
        log.warning(
            "Teams: CLIENT_ID, CLIENT_SECRET and TENANT_ID are not set; %s rejects every activity.",
            MESSAGING_ENDPOINT,
        )
    app = App(
        http_server_adapter=JsonCheckingFastAPIAdapter(app=api),
        messaging_endpoint=MESSAGING_ENDPOINT,
        client_id=settings.teams_client_id,
        client_secret=settings.teams_client_secret,
        tenant_id=settings.teams_tenant_id,
        # Explicit, so the SDK's own DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS variable cannot switch it on.
        dangerously_allow_unauthenticated_requests=unauthenticated,
        state=False,
    )
    register_listeners(app, TeamsBot(conversation), MessageAction(conversation, context_of))
    _initialize(app)
    install_key_fetcher(app, settings.teams_tenant_id)  # JWT keys fetched off the event loop (bot/teams/keys.py)
    api.state.teams_app = app
    log.info("Teams: serving %s (JWT validation %s)", MESSAGING_ENDPOINT, "OFF" if unauthenticated else "on")
    return app


def register_listeners(app: App, bot: TeamsBot, action: MessageAction) -> None:
    """Every Teams listener, in one place."""
    app.on_message(bot.on_message)
    app.on_conversation_update(bot.on_conversation_update)
    app.on_message_submit_feedback(bot.on_feedback)
    app.on_message_ext_open(action.on_fetch_task)
    app.on_message_ext_submit(action.on_submit)


def _initialize(app: App) -> None:
    """Run App.initialize (route + JWT validator; no network) from sync code, inside or outside a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(app.initialize())
        return
    # Called from async code (a test, an app factory): a private loop in a helper thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app.initialize()).result()


class JsonCheckingFastAPIAdapter(FastAPIAdapter):
    """The SDK's FastAPI adapter, but a body that is not a JSON object gets 400 instead of a stack trace."""

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        if method != "POST":
            raise ValueError(f"Unsupported HTTP method: {method}")

        async def route(request: Request) -> Response:
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deeply nested JSON
                log.warning("Teams: request refused (400): the body is not JSON")
                return JSONResponse({"error": "Body must be a JSON activity"}, status_code=400)
            problem = activity_problem(body)
            if problem:
                log.warning("Teams: request refused (400): %s", problem)
                return JSONResponse({"error": "Body must be a JSON activity"}, status_code=400)
            result = await handler(HttpRequest(body=body, headers=dict(request.headers)))
            if result.get("body") is not None:
                return JSONResponse(content=result["body"], status_code=result["status"])
            return Response(status_code=result["status"])

        self.app.post(path)(route)


def activity_problem(body: object) -> str | None:
    """None when the SDK can read `body` as an activity; else why not (the SDK itself would answer 500)."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    try:
        ActivityTypeAdapter.validate_python(body)
    except (ValidationError, RecursionError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) and exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[-2:])
        return f"not a valid activity ({where or type(exc).__name__}: {first.get('type', 'invalid')})"
    return None


# ---------------------------------------------------------------- behaviour
class TeamsBot:
    """What the bot does with an activity: translate it for the Conversation, send back what it replies."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.sent = RecentAnswers()  # what Teams' feedback loop refers back to

    async def on_message(self, ctx: ActivityContext[MessageActivity]) -> None:
        ctx.api = EncodedIdsApi(ctx.api)  # type: ignore[assignment]  # ids percent-encoded in reply URLs
        activity = ctx.activity
        if activity.from_ and activity.recipient and activity.from_.id == activity.recipient.id:
            return  # our own message
        if activity.value is not None:  # an Action.Submit from one of our cards: no mention needed
            await self._on_submit(ctx, activity.value)
            return
        if not addressed_to_bot(activity):
            log.debug("Teams: ignoring a %s message that does not mention the bot", conversation_type(activity))
            return
        await self._answer(ctx, question_text(activity))

    async def _answer(self, ctx: ActivityContext[MessageActivity], question: str) -> None:
        ref = reply_ref(ctx)
        work = self.conversation.reply(question, context_of(ctx.activity))
        reply = await (work if self.conversation.immediate(question) else self._with_typing(ctx, ref, work))
        await self._send_reply(ctx, ref, reply)

    async def _on_submit(self, ctx: ActivityContext[MessageActivity], value: object) -> None:
        submit = render.parse_submit(value)
        if isinstance(submit, render.AskSubmit):
            await self._answer(ctx, submit.question)
            return
        if isinstance(submit, render.FeedbackSubmit):
            reply = await self.conversation.vote(
                submit.vote,
                context_of(ctx.activity),
                question=submit.question,
                recommendation=submit.recommendation,
                answer_id=submit.answer_id,
            )
        else:
            log.info("Teams: unreadable card submit: %.200r", value)
            reply = self.conversation.lost_button()
        await self._send_reply(ctx, reply_ref(ctx), reply)

    async def on_feedback(self, ctx: ActivityContext[MessageSubmitActionInvokeActivity]) -> None:
        """Teams' own 👍/👎 on an answer (message/submitAction): stored with the reason read from its text."""
        ctx.api = EncodedIdsApi(ctx.api)  # type: ignore[assignment]
        activity = ctx.activity
        given = activity.value.action_value
        feedback = read_feedback(given.reaction, given.feedback)
        if feedback is None:
            reply = self.conversation.lost_button()
        else:
            sent = self.sent.recall(activity.conversation.id, activity.reply_to_id)
            if sent is None:
                log.warning(
                    "Teams: feedback on message %.64r, which this server does not remember", activity.reply_to_id
                )
            reply = await self.conversation.vote(
                feedback.vote,
                context_of(activity),
                question=sent.question if sent else UNREMEMBERED_QUESTION,
                recommendation=sent.recommendation if sent else "UNKNOWN",
                answer_id=sent.answer_id if sent else activity.reply_to_id,
                reason=feedback.reason,
                comment=feedback.comment,
            )
        await self._send_reply(ctx, reply_ref(ctx), reply)

    async def on_conversation_update(self, ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        """One welcome when the bot itself is added (a personal chat, a group chat, a team); other members
        joining later name someone else, and get nothing."""
        activity = ctx.activity
        me = activity.recipient.id if activity.recipient else None
        if not me or not any(member.id == me for member in activity.members_added or []):
            return
        ctx.api = EncodedIdsApi(ctx.api)  # type: ignore[assignment]
        await self._send_reply(ctx, ctx.conversation_ref, self.conversation.welcome())

    # ------------------------------------------------------------ sending
    async def _with_typing(
        self, ctx: ActivityContext[MessageActivity], ref: ConversationReference, work: Awaitable[T]
    ) -> T:
        """Await `work`, showing the typing indicator (refreshed every few seconds) meanwhile."""
        task = asyncio.ensure_future(work)
        while True:
            await self._send(ctx, ref, TypingActivityInput())
            done, _ = await asyncio.wait({task}, timeout=TYPING_REFRESH_SECONDS)
            if done:
                return task.result()

    async def _send_reply(self, ctx: ActivityContext[Any], ref: ConversationReference, reply: Reply) -> None:
        out = render.render_reply(reply)
        if out.card is None:
            await self._send(ctx, ref, MessageActivityInput(text=out.text))
            return
        sent = await self._send(ctx, ref, native(MessageActivityInput(summary=out.text), out).add_card(out.card))
        if sent is None:
            # The card was refused (too big, a connector hiccup): plain text, so the user is not left waiting.
            fallback = out.card.fallback_text or out.text
            sent = await self._send(ctx, ref, native(MessageActivityInput(text=fallback), out, prefix=fallback))
        if sent is not None and reply.kind is ReplyKind.ANSWER and reply.answer is not None:
            answer = SentAnswer(reply.answer.question, str(reply.answer.recommendation), reply.answer_id)
            self.sent.remember(ref.conversation.id, sent.id, answer)

    async def _send(self, ctx: ActivityContext[Any], ref: ConversationReference, activity: Any) -> SentActivity | None:
        try:
            return await ctx.send(activity, ref)
        except Exception as exc:  # noqa: BLE001 - a failed send is logged, never raised into the SDK
            log.error("Teams: sending a %s activity to %s failed: %s", activity.type, ref.service_url, exc)
            return None


def native(message: MessageActivityInput, out: render.TeamsReply, *, prefix: str = "") -> MessageActivityInput:
    """An answer as Teams' AI-app surface shows it: the text with a `[n]` marker per passage and a citation
    entity for each (hover cards), and Teams' feedback loop (👍/👎 with a text box, sent as message/submitAction).

    The loop is turned on with `channelData.feedbackLoopEnabled: true`, Teams' documented flag for its default
    dialog. The SDK's add_feedback() writes the newer `feedbackLoop: {type: "default"}` instead, and Teams
    refuses a message that has both, so the flag is set alone.
    """
    if out.cited is None:
        return message
    message.text = f"{prefix}\n\n{out.cited.text}" if prefix else out.cited.text
    for position, appearance in enumerate(out.cited.citations, start=1):
        message.add_citation(position, appearance)
    if not out.cited.citations:  # "not sure" quotes nothing: its citation list is there, and empty
        message.add_entity(CitationEntity(citation=[]))
    message.channel_data = message.channel_data or ChannelData()
    message.channel_data.feedback_loop = None
    message.channel_data.feedback_loop_enabled = True
    return message


# ---------------------------------------------------------------- reading activities
def conversation_type(activity: Activity) -> str:
    conv = activity.conversation
    if conv.conversation_type:
        return conv.conversation_type
    return "groupChat" if conv.is_group else "personal"


def addressed_to_bot(activity: MessageActivity) -> bool:
    """Personal chat: always. Channels and group chats: only when the bot is @mentioned."""
    if conversation_type(activity) == "personal":
        return True
    return activity.is_recipient_mentioned()


_AT_TAG = re.compile(r"</?at>", re.IGNORECASE)


def question_text(activity: MessageActivity) -> str:
    """The message text without the bot's @mention; other people's mentions keep their names."""
    bot_id = activity.recipient.id if activity.recipient else None
    text = strip_mentions_text(activity, StripMentionsTextOptions(account_id=bot_id)) if bot_id else activity.text
    text = _AT_TAG.sub("", text or "")
    return html.unescape(text).replace("\xa0", " ").strip()


def context_of(activity: Activity) -> Context:
    """The tenant, the conversation (a channel's own id, not its thread's), the thread's root and the user."""
    conv_id = activity.conversation.id.split(";messageid=")[0]
    channel_data = activity.channel_data
    channel = getattr(channel_data, "channel", None) if channel_data else None
    thread = activity.reply_to_id or activity.id if conversation_type(activity) == "channel" else None
    user = activity.from_
    return Context(
        "teams",
        extract_tenant_id(activity),
        (channel.id if channel and channel.id else None) or conv_id,
        thread,
        (user.aad_object_id or user.id) if user else None,
    )


def reply_ref(ctx: ActivityContext[MessageActivity]) -> ConversationReference:
    """Where replies go: the conversation, and in a channel the thread of the message we answer."""
    ref = ctx.conversation_ref
    activity = ctx.activity
    conv_id = ref.conversation.id
    if conversation_type(activity) != "channel" or ";messageid=" in conv_id:
        return ref
    root = activity.reply_to_id or activity.id
    if not root or not root.isdigit() or root == "0":
        return ref
    threaded = ref.conversation.model_copy(update={"id": f"{conv_id};messageid={root}"})
    return ref.model_copy(update={"conversation": threaded})
