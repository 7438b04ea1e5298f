"""TeamMemory: the commands (`agree`, `agreements`, `forget`, `roles`, `context`), the buttons (Undo, Remove,
Record as our agreement) and the answer in a scope (its context, agreement and role holders applied).

Registered once in the Conversation, so Slack, Teams and the CLI run the very same code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from bot.agreements import grammar
from bot.agreements.actions import RECORD, REMOVE, UNDO
from bot.agreements.store import Agreement, Scope, TeamMemoryStore
from bot.agreements.wording import OWNER_PHRASES, recorded, ruling, where
from bot.conversation.context import Context
from bot.conversation.reply import AnswererLike, Button, ContextAnswererLike, Item, Person, Place, Reply
from bot.errors import UsageError
from bot.results import ROLE_NAMES, Agreed, Answer, Holder, Owner
from bot.topic import topic_of

if TYPE_CHECKING:  # numpy and the model stay out of the adapters, which only import the names above
    from bot.agreements.matching import DecisionMatcher

log = logging.getLogger(__name__)

AGREED_CONFIDENCE = 0.97  # the team said so: as sure as the bot ever is

Handler = Callable[[str, Context], Reply]


def scope_of(context: Context, *, workspace_wide: bool = False) -> Scope:
    """The scope of a message; a UsageError where there is none (the command line without --scope)."""
    if not context.workspace or not context.channel:
        raise UsageError(
            "Team memory is kept per channel: use this in a Slack channel or a Teams conversation "
            "(on the command line, with --scope slack:TEAM_ID:CHANNEL_ID)."
        )
    scope = Scope(context.platform, context.workspace, context.channel)
    return scope.wide if workspace_wide else scope


def agreed(agreement: Agreement) -> Agreed:
    return Agreed(
        owner=agreement.owner,
        decision=agreement.decision,
        scope=str(agreement.scope),
        recorded_by=agreement.recorded_by,
        recorded_at=agreement.recorded_at.isoformat(timespec="seconds"),
        recorded_by_name=agreement.recorded_by_name,
        workspace_wide=agreement.scope.is_workspace,
    )


def follow(answer: Answer, agreement: Agreement) -> Answer:
    """The answer from the agreement first; the sources (and whether the rules differ) underneath."""
    notes: list[str] = []
    if answer.recommendation == Owner.UNKNOWN:
        notes.append("The general rules alone were not sure who decides this.")
    elif answer.recommendation != agreement.owner:
        notes.append(f"The general rules differ: by them alone, {OWNER_PHRASES[answer.recommendation]}.")
    consult = tuple(c.strip() for c in agreement.consult.split(",") if c.strip())
    owner_name = ROLE_NAMES.get(agreement.owner, "")
    consulted = consult or tuple(c for c in answer.consulted if c != owner_name)
    return replace(
        answer,
        recommendation=Owner(agreement.owner),
        confidence=max(answer.confidence, AGREED_CONFIDENCE),
        consulted=consulted,
        notes=(*notes, *((f"Note from the agreement: {agreement.note}",) if agreement.note else ()), *answer.notes),
        hint=None,
        agreement=agreed(agreement),
    )


def with_holders(answer: Answer, holders: list[tuple[str, str, str]]) -> Answer:
    """Name the stored people: who decides (the owner's holders) and whom to consult (the other roles')."""
    if answer.recommendation == Owner.UNKNOWN or not holders:
        return answer
    deciding = {"SHARED": {"PO", "PM"}}.get(answer.recommendation, {str(answer.recommendation)})
    named = tuple(Holder(role, uid, name, role in deciding) for role, uid, name in holders)
    order = list(grammar.ROLE_KEYS.values())
    return replace(answer, holders=tuple(sorted(named, key=lambda h: (not h.decides, order.index(h.role)))))


class TeamMemory:
    def __init__(self, store: TeamMemoryStore, matcher: DecisionMatcher) -> None:
        self.store = store
        self.matcher = matcher

    def commands(self) -> dict[str, Handler]:
        return {
            "agree": self.agree,
            "agreements": self.agreements,
            "forget": self.forget,
            "roles": self.roles,
            "context": self.context,
        }

    def buttons(self) -> dict[str, Handler]:
        return {UNDO: self.undo, REMOVE: self.remove_button, RECORD: self.record_form}

    # ------------------------------------------------------------------ agreements
    def agree(self, rest: str, context: Context) -> Reply:
        return self._record(grammar.parse_agree(rest, context), context)

    def record_form(self, value: str, context: Context) -> Reply:
        """The modal (Slack) or the card's form (Teams): {"owner", "decision", "workspace"}; checked as `agree`."""
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise grammar.usage(
                context, "That form could not be read.", grammar.AGREE_EXAMPLE.format(p=grammar.prefix(context))
            )
        owner = grammar.owner_of(str(data.get("owner") or ""))
        if owner is None:
            said = str(data.get("owner") or "")[:40]
            raise grammar.usage(
                context,
                f"“{said}” is not an owner: say PO, PM, TEAM or SHARED." if said else "Choose who decides.",
                grammar.AGREE_EXAMPLE.format(p=grammar.prefix(context)),
            )
        decision = grammar.check_decision(str(data.get("decision") or ""), context)
        wide = data.get("workspace") in (True, "true", "True", "1", "on")
        return self._record(grammar.AgreeCommand(owner, decision, wide), context)

    def _record(self, cmd: grammar.AgreeCommand, context: Context) -> Reply:
        scope = scope_of(context, workspace_wide=cmd.workspace_wide)
        user = context.user or "unknown"
        saved = self.store.add(
            scope,
            decision=cmd.decision,
            owner=cmd.owner,
            recorded_by=user,
            recorded_by_name=context.user_name or "",
            consult=cmd.consult,
            note=cmd.note,
        )
        undo = Button("Undo", UNDO, str(saved.id), "danger")
        return Reply.lines(
            Item(recorded(Person(user, context.user_name or ""), cmd.owner, cmd.decision, cmd.workspace_wide), undo),
            public=True,
        )

    def agreements(self, rest: str, context: Context) -> Reply:
        scope = scope_of(context)
        listed = self.store.listed(scope)
        if not listed:
            example = f"{grammar.prefix(context)}agree PO the release date"
            return Reply.lines(Item((f"No agreements here yet. Record one with: {example}",)))
        head = Item((f"Agreements {where(False)} and {where(True)}, in the order they were recorded:",))
        rows = [
            Item(
                (
                    f"{n}. {_scope_word(a)}: {ruling(a.owner, a.decision)} (recorded {a.recorded_at:%Y-%m-%d} by ",
                    Person(a.recorded_by, a.recorded_by_name),
                    ")",
                ),
                Button("Remove", REMOVE, str(a.id), "danger"),
            )
            for n, a in enumerate(listed, 1)
        ]
        return Reply.lines(head, *rows)

    def forget(self, rest: str, context: Context) -> Reply:
        scope = scope_of(context)
        listed = self.store.listed(scope)
        number = grammar.parse_number(rest, context, len(listed))
        return self._removed(listed[number - 1].id, context, "forgot")

    def undo(self, value: str, context: Context) -> Reply:
        return self._removed(_id(value), context, "undid")

    def remove_button(self, value: str, context: Context) -> Reply:
        return self._removed(_id(value), context, "removed")

    def _removed(self, agreement_id: int | None, context: Context, verb: str) -> Reply:
        scope = scope_of(context)
        gone = None if agreement_id is None else self.store.remove(agreement_id, scope, context.user or "unknown")
        if gone is None:
            return Reply.lines(Item(("That agreement is no longer recorded here (already removed?).",)))
        said = f" {verb}: {where(gone.scope.is_workspace)}, {ruling(gone.owner, gone.decision)}."
        return Reply.lines(Item((Person(context.user or "unknown", context.user_name or ""), said)), public=True)

    def home(self, context: Context) -> tuple[Item, ...]:
        """The workspace's agreements by channel (Slack's App Home): a heading per channel, a line per agreement."""
        if not context.workspace:
            return ()
        rows = self.store.everything(Scope(context.platform, context.workspace))
        items: list[Item] = []
        for channel in sorted({a.scope.channel for a in rows}, key=lambda c: (c != "", c)):
            items.append(Item(("Whole workspace",) if channel == "" else (Place(channel),)))
            items.extend(
                Item(
                    (
                        f"• {ruling(a.owner, a.decision)} ({a.recorded_at:%Y-%m-%d}, ",
                        Person(a.recorded_by, a.recorded_by_name),
                        ")",
                    )
                )
                for a in rows
                if a.scope.channel == channel
            )
        return tuple(items)

    # ------------------------------------------------------------------ roles, context
    def roles(self, rest: str, context: Context) -> Reply:
        scope = scope_of(context)
        if rest.strip():
            holders = grammar.parse_roles(rest, context)
            self.store.set_roles(scope, {r: (m.user_id, m.name) for r, m in holders.items()}, context.user or "")
        stored = sorted(self.store.roles(scope), key=lambda h: list(grammar.ROLE_KEYS.values()).index(h.role))
        if not stored:
            return Reply.lines(
                Item((f"No role holders here yet. Name them with: {grammar.prefix(context)}roles po=@dana pm=@lee",))
            )
        items = [Item(("Role holders in this channel:",))]
        items.extend(Item((f"{ROLE_NAMES.get(h.role, h.role)}: ", Person(h.user_id, h.name))) for h in stored)
        return Reply.lines(*items, public=bool(rest.strip()))

    def context(self, rest: str, context: Context) -> Reply:
        scope = scope_of(context)
        if not rest.strip():
            value = self.store.context(scope)
            shown = value or "none (answers read context from each question)"
            return Reply.lines(Item((f"This channel's context: {shown}.",)))
        value = grammar.parse_context(rest, context)
        if value == grammar.CLEAR:
            self.store.set_context(scope, None, context.user or "")
            return Reply.lines(Item(("This channel's context is cleared.",)), public=True)
        self.store.set_context(scope, value, context.user or "")
        return Reply.lines(
            Item((f"This channel's context is now: {value}. Every answer here takes it into account.",)), public=True
        )

    # ------------------------------------------------------------------ answers
    def answer(self, answerer: AnswererLike, text: str, context: Context, *, background: str = "") -> Reply:
        """`background`: a thread's earlier messages, handed on to the engine as context only."""
        engine = cast(ContextAnswererLike, answerer)

        def ask(question: str) -> Answer:
            return engine.answer(question, context=background) if background.strip() else answerer.answer(question)

        if not context.workspace or not context.channel:
            return Reply.of(ask(text))
        scope = Scope(context.platform, context.workspace, context.channel)
        try:
            stored_context = self.store.context(scope)
        except Exception as exc:  # noqa: BLE001 - team memory down: answer from the rules, and say so in the log
            log.error("team memory unavailable, answering without it: %s", type(exc).__name__)
            return Reply.of(ask(text), offer=_offer(text))
        sentence = grammar.CONTEXTS.get(stored_context or "")
        answer = ask(f"{sentence} {text}" if sentence else text)
        if sentence:
            question = answer.question[len(sentence) + 1 :] if answer.question.startswith(sentence) else answer.question
            note = f"This channel's stored context: {stored_context} (set with {grammar.prefix(context)}context)."
            answer = replace(answer, question=question, notes=(*answer.notes, note))
        try:
            listed = self.store.listed(scope)
            own = [a for a in listed if not a.scope.is_workspace]
            wide = [a for a in listed if a.scope.is_workspace]
            # A channel agreement beats a workspace agreement: the workspace's are looked at only if none matched.
            match = self.matcher.best(text, answer, own) or self.matcher.best(text, answer, wide)
            if match is not None:
                answer = follow(answer, match.agreement)
            holders = [(h.role, h.user_id, h.name) for h in self.store.roles(scope)]
            answer = with_holders(answer, holders)
        except Exception as exc:  # noqa: BLE001
            log.error("team memory unavailable, answering without it: %s", type(exc).__name__)
        return Reply.of(answer, offer=_offer(answer.question))


def _offer(question: str) -> str:
    return topic_of(question)[: grammar.MAX_DECISION_CHARS]


def _scope_word(agreement: Agreement) -> str:
    return "workspace" if agreement.scope.is_workspace else "channel"


def _id(value: str) -> int | None:
    try:
        return int(json.loads(value)["id"]) if value.strip().startswith("{") else int(value)
    except (ValueError, KeyError, TypeError):
        return None
