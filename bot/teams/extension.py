"""The "Who decides this?" message action: an action-based message extension on any message.

The manifest's command (bot/teams/package.py) has `context: ["message"]` and `fetchTask: true`:

1. `composeExtension/fetchTask` carries the message (`messagePayload`): the dialog shows the answer to it, with
   an "Add to the conversation" button;
2. that button (or any `composeExtension/submitAction` whose `messagePayload.body.content` is a question) is
   answered in the invoke response with the answer card as a `result`: Teams puts it in the user's compose
   box, and the user sends it.

A message with no text (a picture, a file) gets a short explanation instead of a dialog.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from microsoft_teams.api import (
    AdaptiveCardAttachment,
    MessageExtensionFetchTaskInvokeActivity,
    MessageExtensionSubmitActionInvokeActivity,
    card_attachment,
)
from microsoft_teams.api.models import (
    CardTaskModuleTaskInfo,
    MessagingExtensionActionInvokeResponse,
    MessagingExtensionAttachment,
    MessagingExtensionAttachmentLayout,
    MessagingExtensionResult,
    MessagingExtensionResultType,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
)
from microsoft_teams.apps import ActivityContext

from bot.conversation import Context, Conversation, Reply, ReplyKind
from bot.render import teams as render
from bot.render.teams_extension import DIALOG_TITLE, SEND_ACTION, dialog_card, extension_card

log = logging.getLogger(__name__)

NO_TEXT = "That message has no text to ask about. Pick a message that asks who decides something."
QUESTION_CHARS = 4000  # a Teams message is at most ~28 KB; the Conversation reads long messages whole


class MessageAction:
    """Answers the message extension's invokes through the Conversation."""

    def __init__(self, conversation: Conversation, context_of: Callable[[Any], Context]) -> None:
        self.conversation = conversation
        self._context_of = context_of  # the adapter's one reading of where an activity came from

    async def on_fetch_task(
        self, ctx: ActivityContext[MessageExtensionFetchTaskInvokeActivity]
    ) -> MessagingExtensionActionInvokeResponse:
        value = ctx.activity.value
        question = payload_question(value.message_payload, bot_name(ctx))
        if not question:
            return MessagingExtensionActionInvokeResponse(task=TaskModuleMessageResponse(value=NO_TEXT))
        reply = await self.conversation.reply(question, self._context(ctx))
        if reply.kind is not ReplyKind.ANSWER or reply.answer is None:
            return MessagingExtensionActionInvokeResponse(task=TaskModuleMessageResponse(value=_words(reply)))
        card = dialog_card(reply.answer, question)
        info = CardTaskModuleTaskInfo(title=DIALOG_TITLE, width="medium", card=_attachment(card))
        return MessagingExtensionActionInvokeResponse(task=TaskModuleContinueResponse(value=info))

    async def on_submit(
        self, ctx: ActivityContext[MessageExtensionSubmitActionInvokeActivity]
    ) -> MessagingExtensionActionInvokeResponse:
        value = ctx.activity.value
        question = submitted_question(value.data) or payload_question(value.message_payload, bot_name(ctx))
        if not question:
            return _message(NO_TEXT)
        reply = await self.conversation.reply(question, self._context(ctx))
        if reply.kind is not ReplyKind.ANSWER or reply.answer is None:
            return _message(_words(reply))
        attachment = _attachment(extension_card(reply.answer))
        result = MessagingExtensionResult(
            type=MessagingExtensionResultType.RESULT,
            attachment_layout=MessagingExtensionAttachmentLayout.LIST,
            attachments=[
                MessagingExtensionAttachment(content_type=attachment.content_type, content=attachment.content)
            ],
        )
        return MessagingExtensionActionInvokeResponse(compose_extension=result)

    def _context(self, ctx: ActivityContext[Any]) -> Context:
        return self._context_of(ctx.activity)


# ---------------------------------------------------------------- reading the invoke
def submitted_question(data: object) -> str:
    """The question our dialog's button sends back (empty when the data is not ours)."""
    if isinstance(data, dict) and data.get("action") == SEND_ACTION:
        question = data.get("question")
        if isinstance(question, str):
            return question.strip()[:QUESTION_CHARS]
    return ""


def payload_question(payload: Any, bot: str | None = None) -> str:
    """The selected message's text: its HTML body as plain text, without an @mention of the bot."""
    body = getattr(payload, "body", None) if payload is not None else None
    content = getattr(body, "content", None) or getattr(body, "text_content", None) or ""
    if getattr(body, "content_type", None) == "text":
        text = content
    else:
        text = html_to_text(content, drop_mention=bot)
    return " ".join(text.replace("\xa0", " ").split())[:QUESTION_CHARS]


def bot_name(ctx: ActivityContext[Any]) -> str | None:
    recipient = ctx.activity.recipient
    return recipient.name if recipient and recipient.name else None


class _TextOf(HTMLParser):
    """Text of a Teams message body: tags dropped, blocks and line breaks as spaces, entities decoded."""

    BREAKS = frozenset({"br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "blockquote", "pre"})

    def __init__(self, drop_mention: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.drop_mention = (drop_mention or "").strip().lower()
        self._in_at = False
        self._at_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "at":
            self._in_at, self._at_text = True, []
        elif tag in self.BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "at" and self._in_at:
            self._in_at = False
            name = "".join(self._at_text)
            if name.strip().lower() != self.drop_mention:
                self.parts.append(name)  # other people's mentions keep their names, as plain text
        elif tag in self.BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        (self._at_text if self._in_at else self.parts).append(data)


def html_to_text(content: str, *, drop_mention: str | None = None) -> str:
    parser = _TextOf(drop_mention)
    parser.feed(content)
    parser.close()
    return html.unescape("".join(parser.parts))


# ---------------------------------------------------------------- answering
def _words(reply: Reply) -> str:
    """What a reply that is not an answer (help, an apology) says, as plain text for a dialog or a message."""
    return render.render_reply(reply).text


def _message(text: str) -> MessagingExtensionActionInvokeResponse:
    return MessagingExtensionActionInvokeResponse(
        compose_extension=MessagingExtensionResult(type=MessagingExtensionResultType.MESSAGE, text=text)
    )


def _attachment(card: Any) -> Any:
    return card_attachment(AdaptiveCardAttachment(content=card))
