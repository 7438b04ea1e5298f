"""Slack's own surfaces (issue 12): the "Who decides this?" message shortcut, the AI app surface through
Bolt's AsyncAssistant, native 👍/👎 (feedback_buttons) and the "What was wrong?" modal.

Thin like the rest: each listener translates the payload, awaits the Conversation, renders, delivers.
Registered with the others in bot/slack/app.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import (
    AsyncAck,
    AsyncAssistant,
    AsyncBoltContext,
    AsyncSetStatus,
    AsyncSetSuggestedPrompts,
    AsyncSetTitle,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation import VOTES, Context, Reply, ReplyKind
from bot.render.slack import parse_value, render_reply
from bot.render.slack_assistant import ASSISTANT_STATUS, PROMPTS_TITLE, suggested_prompts, thread_title
from bot.render.slack_feedback import REASON_BLOCK, read_reason_modal, render_reason_done, render_reason_modal
from bot.slack.delivery import post_reply, respond
from bot.slack.listeners import SlackListeners, action_context, event_context, from_a_bot
from bot.slack.text import to_plain
from bot.slack.thread_context import earlier_messages
from bot.texts import REASON_SLOW

log = logging.getLogger(__name__)

MESSAGE_SHORTCUT = "whodecides_message"  # callback_id of the "Who decides this?" message shortcut
REASON_WAIT = 2.0  # seconds the modal's ack may wait for the database; Slack allows 3 in all


def message_text(message: dict[str, Any]) -> str:
    """A message's text; a bot's message may carry it only in its attachments."""
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text
    parts = [a.get("text") or a.get("fallback") for a in message.get("attachments") or [] if isinstance(a, dict)]
    return " ".join(p for p in parts if isinstance(p, str))


async def bot_user_id(context: AsyncBoltContext, client: AsyncWebClient) -> str | None:
    """Who the bot is, to drop its mention from a message. A shortcut carries no `authorizations`, so right
    after start (before the background auth.test answered) it is asked here, after the ack."""
    if context.bot_user_id:
        return context.bot_user_id
    try:
        return (await client.auth_test()).get("user_id")
    except Exception as exc:  # noqa: BLE001 - then a mention of the bot stays in the question, as "@name"
        log.warning("auth.test failed (%s): the bot's own mention may stay in the question", exc)
        return None


async def _quietly(what: str, call: Any) -> None:
    """Status and title are niceties of the AI app surface: a workspace without it still gets its answer."""
    try:
        await call
    except Exception as exc:  # noqa: BLE001 - e.g. missing_scope (assistant:write) or a DM that is no AI thread
        log.info("%s not set (%s); answering anyway", what, getattr(exc, "response", {}).get("error") or exc)


class SlackNativeListeners(SlackListeners):
    """The Slack listeners, plus those of Slack's native surfaces."""

    # ------------------------------------------------------------------ message shortcut
    async def message_shortcut(
        self, ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """ "Who decides this?" on any message: its text is the question; the answer goes to the clicker only."""
        self._track()
        await ack()
        message = shortcut.get("message") or {}
        user = shortcut.get("user") or {}
        channel = (shortcut.get("channel") or {}).get("id")
        team = (shortcut.get("team") or {}).get("id") or user.get("team_id")
        thread = message.get("thread_ts")
        where = Context("slack", team, channel, thread, user.get("id"))
        question = to_plain(message_text(message), await bot_user_id(context, client))
        if not question:
            reply = self.conversation.empty_message()
        else:
            background = ""
            if thread and channel and thread != message.get("ts"):
                background = await earlier_messages(
                    client, channel=channel, thread_ts=thread, before=message.get("ts"), bot_user_id=context.bot_user_id
                )
            reply = await self.conversation.reply(question, where, background=background)
        await respond(
            shortcut.get("response_url"),
            render_reply(reply, shareable=reply.kind is ReplyKind.ANSWER),
            replace_original=False,
            fallback_client=client,
            channel=channel,
            user=where.user,
        )

    # ------------------------------------------------------------------ AI app surface
    async def assistant_thread_started(self, set_suggested_prompts: AsyncSetSuggestedPrompts) -> None:
        self._track()
        await _quietly("suggested prompts", set_suggested_prompts(prompts=suggested_prompts(), title=PROMPTS_TITLE))

    async def assistant_context_changed(self) -> None:
        """The user moved to another channel with the assistant open: nothing to keep (answers don't depend on
        the channel), and Bolt's default would rewrite our first reply's metadata."""

    async def assistant_message(
        self,
        event: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        set_status: AsyncSetStatus,
        set_title: AsyncSetTitle,
    ) -> None:
        """A message in an assistant thread (or any DM thread: Bolt cannot tell them apart)."""
        self._track()
        if from_a_bot(event, context):
            return
        channel, thread = str(event.get("channel") or ""), str(event.get("thread_ts") or "")
        question = to_plain(event.get("text"), context.bot_user_id)
        if self.conversation.immediate(question) is None:
            await _quietly("status", set_status(ASSISTANT_STATUS))
        background = await earlier_messages(
            client, channel=channel, thread_ts=thread, before=event.get("ts"), bot_user_id=context.bot_user_id
        )
        message = await self.compose(question, event_context(event, context, thread=thread), background=background)
        await post_reply(client, channel=channel, thread_ts=thread, message=message)
        if question:
            await _quietly("title", set_title(thread_title(question)))

    # ------------------------------------------------------------------ native feedback
    async def native_feedback(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A click on the feedback_buttons: store the vote; a 👎 also opens "What was wrong?"."""
        self._track()
        await ack()
        where = action_context(body)
        data = parse_value(action.get("value"))
        vote, question, answer_id = data.get("v"), data.get("q"), str(data.get("a") or "")
        if vote not in VOTES or not isinstance(question, str) or not question.strip():
            await self._respond(body, client, where, self.conversation.lost_button())
            return
        if vote == "down" and answer_id and body.get("trigger_id"):
            # First, while the trigger_id is fresh (3 s); the vote is stored either way.
            view = render_reason_modal(answer_id=answer_id, question=question, channel=where.channel)
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=view)
            except Exception as exc:  # noqa: BLE001 - the vote still counts without its reason
                log.error("could not open the feedback modal: %s", exc)
        reply = await self.conversation.vote(
            vote, where, question=question, recommendation=str(data.get("r") or "UNKNOWN"), answer_id=answer_id
        )
        await self._respond(body, client, where, reply)

    async def feedback_reason(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The modal sent: attach the reason to the 👎; the modal then says whether it was kept."""
        self._track()
        answer_id, channel, reason, comment = read_reason_modal(view)
        if reason is None:
            await ack(response_action="errors", errors={REASON_BLOCK: "Pick what was wrong."})
            return
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id")
        where = Context("slack", team, channel, None, user.get("id"))
        saving = asyncio.ensure_future(
            self.conversation.give_reason(where, answer_id=answer_id, reason=reason, comment=comment)
        )
        try:
            reply: Reply = await asyncio.wait_for(asyncio.shield(saving), REASON_WAIT)
            text = reply.text
        except TimeoutError:  # the write goes on; the modal must answer within Slack's 3 s
            text = REASON_SLOW
        await ack(response_action="update", view=render_reason_done(text))


def build_assistant(listeners: SlackNativeListeners, logger: logging.Logger) -> AsyncAssistant:
    """Bolt's AsyncAssistant middleware with our listeners: suggested prompts, status, answer, title."""
    assistant = AsyncAssistant(logger=logger)
    assistant.thread_started(listeners.assistant_thread_started)
    assistant.thread_context_changed(listeners.assistant_context_changed)
    assistant.user_message(listeners.assistant_message)
    return assistant
