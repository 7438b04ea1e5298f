"""Team memory on Adaptive Cards (pure): lines with people as Teams mention entities, the Undo/Remove
buttons, and the *Record as our agreement* form (Action.ShowCard with an Action.Submit).

A line's text parts go into RichTextBlock runs (never read as markdown), its people into their own TextBlock
as `<at>name</at>` with a mention entity: a mention is only ever made from a stored or Teams-given id, and
text a user typed cannot become one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Column,
    ColumnSet,
    Mention,
    MentionedEntity,
    RichTextBlock,
    ShowCardAction,
    SubmitAction,
    TeamsCardProperties,
    TextBlock,
    TextInput,
    TextRun,
    ToggleInput,
)

from bot.agreements.grammar import MAX_DECISION_CHARS, OWNERS
from bot.agreements.wording import agreed_parts, holders_parts
from bot.conversation.reply import Item, Part, Person, Place
from bot.results import ROLE_NAMES, Answer

PRESS_ACTION = "whodecides.press"  # data: {"press": a Conversation button, "value": its value}
RECORD_ACTION = "whodecides.record"  # data + the form's inputs: decision, owner, workspace
_NOT_NAME = re.compile(r"[<>*_\[\]()`#~\\]")


@dataclass(frozen=True)
class PressSubmit:
    press: str
    value: str


@dataclass(frozen=True)
class RecordSubmit:
    decision: str
    owner: str
    workspace: bool


def parse_memory_submit(value: dict[str, Any]) -> PressSubmit | RecordSubmit | None:
    action = value.get("action")
    if action == PRESS_ACTION and isinstance(value.get("press"), str) and isinstance(value.get("value"), str):
        return PressSubmit(value["press"], value["value"][:100])
    if action == RECORD_ACTION:
        decision, owner = value.get("decision"), value.get("owner")
        return RecordSubmit(
            decision[:2000] if isinstance(decision, str) else "",
            owner[:40] if isinstance(owner, str) else "",
            str(value.get("workspace")).lower() == "true",
        )
    return None


class Mentions:
    """Collects the card's mention entities while its lines are drawn."""

    def __init__(self) -> None:
        self.entities: list[Mention] = []

    def at(self, person: Person) -> str:
        name = _NOT_NAME.sub("", person.name or "") or "someone"
        text = f"<at>{name}</at>"
        if not any(m.text == text and m.mentioned and m.mentioned.id == person.user_id for m in self.entities):
            self.entities.append(Mention(text=text, mentioned=MentionedEntity(id=person.user_id, name=name)))
        return text

    def attach(self, card: AdaptiveCard) -> AdaptiveCard:
        if self.entities:
            card.msteams = TeamsCardProperties(entities=self.entities)
        return card


def line(parts: tuple[Part, ...], mentions: Mentions, *, bold: bool = False) -> CardElement:
    if not any(isinstance(p, Person) for p in parts):
        return RichTextBlock(inlines=[TextRun(text=Item(parts).plain(), weight="Bolder" if bold else None)])
    columns = []
    for part in parts:
        if isinstance(part, Person):
            element: CardElement = TextBlock(text=mentions.at(part), wrap=True)
        else:
            text = f"#{part.channel_id}" if isinstance(part, Place) else part
            element = RichTextBlock(inlines=[TextRun(text=text)])
        columns.append(Column(width="auto", items=[element], spacing="None"))
    columns[-1].width = "stretch"
    return ColumnSet(columns=columns, spacing="Small")


def items_card(items: tuple[Item, ...]) -> AdaptiveCard:
    mentions = Mentions()
    body: list[CardElement] = []
    for item in items:
        body.append(line(item.parts, mentions))
        if item.button is not None:
            data = {"action": PRESS_ACTION, "press": item.button.action, "value": item.button.value}
            body.append(ActionSet(actions=[SubmitAction(title=item.button.label, data=data)]))
    return mentions.attach(AdaptiveCard(version="1.5", body=body, fallback_text="\n".join(i.plain() for i in items)))


def answer_lines(answer: Answer, mentions: Mentions) -> list[CardElement]:
    out: list[CardElement] = []
    if answer.agreement is not None:
        out.append(line(agreed_parts(answer.agreement), mentions, bold=True))
    if answer.holders:
        out.append(line(holders_parts(answer.holders), mentions))
    return out


def record_action(decision: str, owner: str) -> ShowCardAction:
    form = AdaptiveCard(
        version="1.5",
        body=[
            TextInput(
                id="decision",
                label="The decision",
                value=decision[:MAX_DECISION_CHARS],
                max_length=MAX_DECISION_CHARS,
                is_required=True,
            ),
            ChoiceSetInput(
                id="owner",
                label="Who decides",
                value=owner if owner in OWNERS else None,
                choices=[Choice(title=ROLE_NAMES[o], value=o) for o in OWNERS],
                is_required=True,
            ),
            ToggleInput(
                id="workspace",
                title="For the whole tenant, not only this conversation",
                value="false",
                value_on="true",
                value_off="false",
            ),
        ],
        actions=[SubmitAction(title="Record", data={"action": RECORD_ACTION})],
    )
    return ShowCardAction(title="Record as our agreement", card=form)
