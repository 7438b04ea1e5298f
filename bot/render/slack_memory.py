"""Team memory in Block Kit (pure): lines with people, the Undo/Remove buttons, the agreement modal, and App
Home's agreements by channel.

Text parts are escaped; only a Person (a stored or Slack-given user id) becomes a `<@U…>` mention.
"""

from __future__ import annotations

import json
from typing import Any

from bot.agreements.actions import RECORD, REMOVE, UNDO
from bot.agreements.wording import agreed_parts, holders_parts
from bot.conversation.reply import Item, Part, Person, Place
from bot.render.slack import MAX_SECTION_TEXT, SlackMessage, _button, _section, escape
from bot.results import ROLE_NAMES, Answer
from bot.texts import trim

# action_id per Conversation button; the listeners match on these.
ACTION_UNDO = "whodecides_agreement_undo"
ACTION_REMOVE = "whodecides_agreement_remove"
ACTION_RECORD = "whodecides_agreement_record"
PRESS_BY_ACTION = {ACTION_UNDO: UNDO, ACTION_REMOVE: REMOVE}
ACTION_BY_PRESS = {UNDO: ACTION_UNDO, REMOVE: ACTION_REMOVE}
MODAL_CALLBACK = "whodecides_agreement_modal"
RECORD_PRESS = RECORD
OWNER_CHOICES = ("PO", "PM", "TEAM", "SHARED")


def mrkdwn(parts: tuple[Part, ...]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Person):
            out.append(f"<@{escape(part.user_id)}>")
        elif isinstance(part, Place):
            out.append(f"<#{escape(part.channel_id)}>")
        else:
            out.append(escape(part))
    return "".join(out)


def item_blocks(items: tuple[Item, ...]) -> list[dict[str, Any]]:
    blocks = []
    for item in items:
        block = _section(mrkdwn(item.parts))
        if item.button is not None:
            action = ACTION_BY_PRESS.get(item.button.action, item.button.action)
            block["accessory"] = _button(item.button.label, action, item.button.value, style=item.button.style)
        blocks.append(block)
    return blocks


def render_items(items: tuple[Item, ...]) -> SlackMessage:
    text = trim("\n".join(mrkdwn(i.parts) for i in items), MAX_SECTION_TEXT)
    return SlackMessage(text=text, blocks=item_blocks(items)[:50])


def answer_blocks(answer: Answer) -> list[dict[str, Any]]:
    """The agreement that decided the answer, and the people who hold the roles, under the headline."""
    blocks = []
    if answer.agreement is not None:
        blocks.append(_section(":handshake: " + mrkdwn(agreed_parts(answer.agreement))))
    if answer.holders:
        blocks.append(_section(mrkdwn(holders_parts(answer.holders))))
    return blocks


def record_button(decision: str, owner: str) -> dict[str, Any]:
    value = json.dumps({"d": decision[:200], "o": owner}, ensure_ascii=False)
    return _button("Record as our agreement", ACTION_RECORD, value)


def record_value(value: str | None) -> tuple[str, str]:
    try:
        data = json.loads(value or "")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    return str(data.get("d") or ""), str(data.get("o") or "")


def agreement_modal(decision: str, owner: str, *, channel: str) -> dict[str, Any]:
    """The modal behind *Record as our agreement*: the decision and the owner, both editable, pre-filled."""
    options = [{"text": {"type": "plain_text", "text": ROLE_NAMES[o]}, "value": o} for o in OWNER_CHOICES]
    select: dict[str, Any] = {"type": "static_select", "action_id": "owner", "options": options}
    if owner in OWNER_CHOICES:
        select["initial_option"] = options[OWNER_CHOICES.index(owner)]
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": json.dumps({"c": channel}),
        "title": {"type": "plain_text", "text": "Record an agreement"},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "decision",
                "label": {"type": "plain_text", "text": "The decision"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "decision",
                    "initial_value": decision[:200],
                    "max_length": 200,
                },
            },
            {
                "type": "input",
                "block_id": "owner",
                "label": {"type": "plain_text", "text": "Who decides"},
                "element": select,
            },
            {
                "type": "input",
                "block_id": "workspace",
                "optional": True,
                "label": {"type": "plain_text", "text": "Scope"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "workspace",
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": "For the whole workspace, not only this channel"},
                            "value": "yes",
                        }
                    ],
                },
            },
        ],
    }


def modal_submission(view: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(channel, {"decision", "owner", "workspace"}) from a submitted agreement modal."""
    values = (view.get("state") or {}).get("values") or {}
    decision = ((values.get("decision") or {}).get("decision") or {}).get("value") or ""
    selected = ((values.get("owner") or {}).get("owner") or {}).get("selected_option") or {}
    boxes = ((values.get("workspace") or {}).get("workspace") or {}).get("selected_options") or []
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    channel = str(meta.get("c") or "") if isinstance(meta, dict) else ""
    return channel, {"decision": decision, "owner": selected.get("value") or "", "workspace": bool(boxes)}


def home_blocks(items: tuple[Item, ...]) -> list[dict[str, Any]]:
    """App Home: the workspace's agreements by channel."""
    header = {"type": "header", "text": {"type": "plain_text", "text": "Our agreements", "emoji": True}}
    if not items:
        return [header, _section("No agreements yet. In a channel: `/whodecides agree PO the release date`.")]
    return [header, *(_section(mrkdwn(i.parts)) for i in items)]
