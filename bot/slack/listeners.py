"""The Slack listeners: thin. Each acknowledges first, translates the payload into (text, Context), awaits the
Conversation's Reply, renders it, and delivers it.

Registered in one place, bot/slack/app.py. The Conversation runs the answerer on its own pool, shared with
every other platform of the process, so acks (and every other request) never wait for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation import Context, Conversation, Reply, ReplyKind
from bot.render.slack import (
    VOTE_BY_ACTION,
    SlackMessage,
    example_question,
    parse_value,
    render_home,
    render_reply,
    render_why,
)
from bot.slack.delivery import post_reply, respond, send_to_response_url
from bot.slack.text import to_plain
from bot.slack.thread_context import earlier_messages

log = logging.getLogger(__name__)

# Message subtypes that are still a person writing to the bot (others: edits, joins, bots...).
HUMAN_SUBTYPES = {None, "file_share", "thread_broadcast"}


def from_a_bot(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Our own messages and other bots' never get an answer (no bot loops)."""
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return True
    user = event.get("user")
    return bool(user and user == context.bot_user_id)


def event_context(event: dict[str, Any], context: AsyncBoltContext, *, thread: str | None) -> Context:
    return Context("slack", context.team_id or event.get("team"), event.get("channel"), thread, event.get("user"))


def action_context(body: dict[str, Any]) -> Context:
    """Who clicked, where: a button press carries the user, team and channel in its own places."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return Context("slack", team, channel, None, user.get("id"))


def button_question(action: dict[str, Any]) -> str | None:
    question = parse_value(action.get("value")).get("q")
    return question if isinstance(question, str) and question.strip() else None


class SlackListeners:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self._inflight: set[asyncio.Task[Any]] = set()

    def _track(self) -> None:
        """Remember the running listener so a shutdown can let it deliver its answer first."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait (bounded) for answers still being computed or sent, e.g. on SIGTERM during a deploy."""
        pending = [t for t in self._inflight if not t.done() and t is not asyncio.current_task()]
        if pending:
            log.info("waiting for %d answer(s) in flight before stopping", len(pending))
            _, late = await asyncio.wait(pending, timeout=timeout)
            if late:
                log.error("stopped with %d answer(s) still in flight", len(late))

    async def compose(
        self,
        question: str,
        context: Context,
        *,
        shareable: bool = False,
        shared_by: str | None = None,
        background: str = "",
    ) -> SlackMessage:
        reply = await self.conversation.reply(question, context, background=background)
        return render_reply(reply, shareable=shareable, shared_by=shared_by)

    async def _respond(self, body: dict[str, Any], client: AsyncWebClient, where: Context, reply: Reply) -> None:
        """A private reply to a button press, through its response_url (else the Web API)."""
        await respond(
            body.get("response_url"),
            render_reply(reply),
            replace_original=False,
            fallback_client=client,
            channel=where.channel,
            user=where.user,
        )

    # ------------------------------------------------------------------ /whodecides
    async def command(self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        self._track()
        question = to_plain(command.get("text"))
        quick = self.conversation.immediate(question)
        if quick is not None:
            usage = render_reply(quick)
            await ack(text=usage.text, blocks=usage.blocks, response_type="ephemeral")
            return
        await ack()  # Slack shows nothing yet; the answer follows through response_url
        where = Context("slack", command.get("team_id"), command.get("channel_id"), None, command.get("user_id"))
        reply = await self.conversation.reply(question, where)
        await respond(
            command.get("response_url"),
            render_reply(reply, shareable=True),
            response_type="in_channel" if reply.public else "ephemeral",
            replace_original=None,
            fallback_client=client,
            channel=where.channel,
            user=where.user,
        )

    # ------------------------------------------------------------------ events
    async def app_mention(self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        self._track()
        channel = str(event.get("channel") or "")
        if from_a_bot(event, context) or not channel:
            return
        if event.get("channel_type") == "im" or channel.startswith("D"):
            return  # a DM is answered by the message listener: one reply only
        # In the thread of the mention; a mention inside a thread answers in that same thread.
        thread = event.get("thread_ts") or event.get("ts")
        question = to_plain(event.get("text"), context.bot_user_id)
        background = ""
        if event.get("thread_ts") and question:  # earlier messages of the thread: context, not the question
            background = await earlier_messages(
                client, channel=channel, thread_ts=thread, before=event.get("ts"), bot_user_id=context.bot_user_id
            )
        message = await self.compose(question, event_context(event, context, thread=thread), background=background)
        await post_reply(client, channel=channel, thread_ts=thread, message=message)

    async def message(self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        self._track()
        # Only DMs: in channels a mention also arrives as a `message` event, and app_mention answers it.
        if event.get("channel_type") != "im" or event.get("subtype") not in HUMAN_SUBTYPES:
            return
        if from_a_bot(event, context):
            return
        thread = event.get("thread_ts")
        question = to_plain(event.get("text"), context.bot_user_id)
        message = await self.compose(question, event_context(event, context, thread=thread))
        await post_reply(client, channel=event["channel"], thread_ts=thread, message=message)

    async def app_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        self._track()
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        try:
            await client.views_publish(user_id=event["user"], view=render_home())
        except Exception as exc:  # noqa: BLE001 - App Home is a nicety; the log says why it is missing
            log.error("could not publish App Home: %s", exc)  # no user id at ERROR

    # ------------------------------------------------------------------ buttons
    async def feedback(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        where = action_context(body)
        data = parse_value(action.get("value"))
        question = button_question(action)
        if question is None:
            reply = self.conversation.lost_button()
        else:
            reply = await self.conversation.vote(
                VOTE_BY_ACTION[action["action_id"]],
                where,
                question=question,
                recommendation=str(data.get("r") or "UNKNOWN"),
                answer_id=str(data.get("a") or "") or None,
            )
        await self._respond(body, client, where, reply)

    async def why(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        where = action_context(body)
        question = button_question(action)
        reply = self.conversation.lost_button() if question is None else await self.conversation.reply(question, where)
        message = render_why(reply.answer) if reply.kind is ReplyKind.ANSWER and reply.answer else render_reply(reply)
        await respond(
            body.get("response_url"),
            message,
            replace_original=False,
            fallback_client=client,
            channel=where.channel,
            user=where.user,
        )

    async def share(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        where = action_context(body)
        response_url = body.get("response_url")
        question = button_question(action)
        if question is None:
            await respond(response_url, render_reply(self.conversation.lost_button()), replace_original=False)
            return
        message = await self.compose(question, where, shared_by=where.user)
        if await respond(response_url, message, response_type="in_channel", replace_original=False):
            # The public copy is there: remove the private one so the asker sees it once.
            await send_to_response_url(response_url, {"delete_original": True})

    async def example(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        where = action_context(body)
        response_url = body.get("response_url")
        question = example_question(action.get("action_id", ""), action.get("value"))
        if question is None:
            message = render_reply(self.conversation.lost_button())
        else:
            message = await self.compose(question, where, shareable=bool(response_url))
        # From App Home there is no response_url and no channel: the answer goes to the user's DM.
        await respond(
            response_url,
            message,
            replace_original=False,
            fallback_client=client,
            channel=where.channel if response_url else None,
            user=where.user,
        )
