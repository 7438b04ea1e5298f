"""The Slack listeners: thin. Each acknowledges first, then answers off the event loop, then delivers.

Registered in one place, bot/slack/app.py. The answerer is synchronous and CPU-bound, so it runs in a
worker thread: acks (and every other request) never wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import AnswererLike
from bot.errors import UsageError, WhodecidesError
from bot.render.slack import (
    VOTE_BY_ACTION,
    SlackMessage,
    example_question,
    parse_value,
    render_answer,
    render_apology,
    render_home,
    render_usage,
    render_why,
)
from bot.results import HEADLINES, Answer
from bot.slack.delivery import post_reply, respond, send_to_response_url
from bot.slack.text import is_help, to_plain
from bot.store.feedback import FeedbackStore

log = logging.getLogger(__name__)

# A button's value comes back from the client: only our own labels are stored as the recommendation
# (the same check Teams makes on a card submit).
RECOMMENDATIONS = frozenset(HEADLINES)
QUESTION_CHARS = 1000  # what a vote keeps of its question, as Teams does (bot/render/teams.py)
LOST_BUTTON = "Sorry, I could not read that button. Please ask your question again."


def from_a_bot(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Our own messages and other bots' never get an answer (no bot loops)."""
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return True
    user = event.get("user")
    return bool(user and user == context.bot_user_id)


def _who_and_where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    user = (body.get("user") or {}).get("id")
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return user, team, channel


# Message subtypes that are still a person writing to the bot (others: edits, joins, bots...).
HUMAN_SUBTYPES = {None, "file_share", "thread_broadcast"}


def answer_workers() -> int:
    return max(2, min(4, os.cpu_count() or 2))


class SlackListeners:
    def __init__(self, answerer: AnswererLike, feedback_store: FeedbackStore, *, workers: int | None = None) -> None:
        self.answerer = answerer
        self.feedback_store = feedback_store
        # The CPU-bound answerer gets threads of its own, so a burst of questions never holds up the
        # default pool that the acks' database claims run in.
        self._pool = ThreadPoolExecutor(max_workers=workers or answer_workers(), thread_name_prefix="answer")
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
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ answering (shared)
    async def _answer(self, question: str) -> Answer | SlackMessage:
        """The Answer, or the message to show instead (usage help, a user-facing error, an apology)."""
        if not question.strip() or is_help(question):
            return render_usage()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, self.answerer.answer, question)
        except UsageError as exc:
            return render_usage(exc.message)
        except WhodecidesError as exc:
            return render_apology(exc.message)
        except Exception:  # noqa: BLE001 - never a stack trace to a user, never silence
            log.exception("the answerer failed on a %d-character question", len(question))
            return render_apology()

    async def compose(self, question: str, *, shareable: bool = False, shared_by: str | None = None) -> SlackMessage:
        result = await self._answer(question)
        if isinstance(result, SlackMessage):
            return result
        return render_answer(result, answer_id=uuid.uuid4().hex, shareable=shareable, shared_by=shared_by)

    # ------------------------------------------------------------------ /whodecides
    async def command(self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        self._track()
        question = to_plain(command.get("text"))
        if not question or is_help(question):
            usage = render_usage()
            await ack(text=usage.text, blocks=usage.blocks, response_type="ephemeral")
            return
        await ack()  # Slack shows nothing yet; the answer follows through response_url
        message = await self.compose(question, shareable=True)
        await respond(
            command.get("response_url"),
            message,
            response_type="ephemeral",
            replace_original=None,
            fallback_client=client,
            channel=command.get("channel_id"),
            user=command.get("user_id"),
        )

    # ------------------------------------------------------------------ events
    async def app_mention(self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        self._track()
        channel = str(event.get("channel") or "")
        if from_a_bot(event, context) or not channel:
            return
        if event.get("channel_type") == "im" or channel.startswith("D"):
            return  # a DM is answered by the message listener: one reply only
        question = to_plain(event.get("text"), context.bot_user_id)
        message = await self.compose(question)
        # In the thread of the mention; a mention inside a thread answers in that same thread.
        await post_reply(client, channel=channel, thread_ts=event.get("thread_ts") or event.get("ts"), message=message)

    async def message(self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        self._track()
        # Only DMs: in channels a mention also arrives as a `message` event, and app_mention answers it.
        if event.get("channel_type") != "im" or event.get("subtype") not in HUMAN_SUBTYPES:
            return
        if from_a_bot(event, context):
            return
        question = to_plain(event.get("text"), context.bot_user_id)
        message = await self.compose(question)
        await post_reply(client, channel=event["channel"], thread_ts=event.get("thread_ts"), message=message)

    async def app_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        self._track()
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        try:
            await client.views_publish(user_id=event["user"], view=render_home())
        except Exception as exc:  # noqa: BLE001
            log.error("could not publish App Home: %s", exc)  # no user id at ERROR

    # ------------------------------------------------------------------ buttons
    async def feedback(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        user, team, channel = _who_and_where(body)
        vote = VOTE_BY_ACTION[action["action_id"]]
        data = parse_value(action.get("value"))
        question = data.get("q")
        recommendation = str(data.get("r"))
        if not isinstance(question, str) or not question:
            text = LOST_BUTTON
        else:
            stored = await asyncio.to_thread(
                self.feedback_store.record,
                platform="slack",
                user_id=user or "unknown",
                question=question[:QUESTION_CHARS],
                recommendation=recommendation if recommendation in RECOMMENDATIONS else "UNKNOWN",
                vote=vote,
                workspace=team,
                answer_id=str(data.get("a") or "") or None,
            )
            if stored:
                text = "Thanks for the feedback! 👍" if vote == "up" else "Thanks, noted: not helpful. 👎"
            else:
                text = "Thanks! Your feedback could not be saved right now; the error has been logged."
        await respond(
            body.get("response_url"),
            SlackMessage(text=text),
            replace_original=False,
            fallback_client=client,
            channel=channel,
            user=user,
        )

    async def why(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        user, _, channel = _who_and_where(body)
        question = parse_value(action.get("value")).get("q")
        if not isinstance(question, str) or not question:
            message = render_apology(LOST_BUTTON)
        else:
            result = await self._answer(question)
            message = result if isinstance(result, SlackMessage) else render_why(result)
        await respond(
            body.get("response_url"),
            message,
            replace_original=False,
            fallback_client=client,
            channel=channel,
            user=user,
        )

    async def share(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        user, _, _ = _who_and_where(body)
        response_url = body.get("response_url")
        question = parse_value(action.get("value")).get("q")
        if not isinstance(question, str) or not question:
            await respond(response_url, render_apology(LOST_BUTTON), replace_original=False)
            return
        message = await self.compose(question, shared_by=user)
        if await respond(response_url, message, response_type="in_channel", replace_original=False):
            # The public copy is there: remove the private one so the asker sees it once.
            await send_to_response_url(response_url, {"delete_original": True})

    async def example(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient):
        self._track()
        await ack()
        user, _, channel = _who_and_where(body)
        response_url = body.get("response_url")
        question = example_question(action.get("action_id", ""), action.get("value"))
        if question is None:
            message = render_apology(LOST_BUTTON)
        else:
            message = await self.compose(question, shareable=bool(response_url))
        # From App Home there is no response_url and no channel: the answer goes to the user's DM.
        await respond(
            response_url,
            message,
            replace_original=False,
            fallback_client=client,
            channel=channel if response_url else None,
            user=user,
        )
