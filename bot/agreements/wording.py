"""How team memory is said, once for every platform: lines of text and people (renderers draw the people as
mentions, and escape the text)."""

from __future__ import annotations

from bot.conversation.reply import Item, Part, Person
from bot.results import ROLE_NAMES, Agreed, Holder

OWNER_PHRASES = {
    "PO": "the Product Owner decides",
    "PM": "the Product Manager decides",
    "TEAM": "the Development Team decides",
    "SHARED": "the Product Owner and the Product Manager decide together",
}


def where(workspace_wide: bool) -> str:
    return "in this workspace" if workspace_wide else "in this channel"


def ruling(owner: str, decision: str) -> str:
    """ "the Product Owner decides the release date" (SHARED: "… decide together on the release date")."""
    phrase = OWNER_PHRASES[owner]
    return f"{phrase} on {decision}" if owner == "SHARED" else f"{phrase} {decision}"


def recorded(by: Person, owner: str, decision: str, workspace_wide: bool) -> tuple[Part, ...]:
    return (by, f" recorded: {where(workspace_wide)}, {ruling(owner, decision)}.")


def agreed_parts(agreed: Agreed) -> tuple[Part, ...]:
    """ "Agreed in this channel (2026-11-22, recorded by <@U…>): the Product Owner decides the release date." """
    day = agreed.recorded_at[:10]
    return (
        f"Agreed {where(agreed.workspace_wide)} ({day}, recorded by ",
        Person(agreed.recorded_by, agreed.recorded_by_name),
        f"): {ruling(agreed.owner, agreed.decision)}.",
    )


def holders_parts(holders: tuple[Holder, ...]) -> tuple[Part, ...]:
    """ "<@dana> (Product Owner) decides; consult <@lee>"."""
    deciders = [h for h in holders if h.decides]
    consulted = [h for h in holders if not h.decides]
    parts: list[Part] = []
    for i, holder in enumerate(deciders):
        if i:
            parts.append(" and ")
        parts.extend((Person(holder.user_id, holder.name), f" ({ROLE_NAMES.get(holder.role, holder.role)})"))
    if deciders:
        parts.append(" decide together" if len(deciders) > 1 else " decides")
    for i, holder in enumerate(consulted):
        parts.append(("; consult " if deciders else "Consult ") if i == 0 else ", ")
        parts.append(Person(holder.user_id, holder.name))
    return tuple(parts)


def plain(parts: tuple[Part, ...]) -> str:
    return Item(parts).plain()
