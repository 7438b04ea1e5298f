"""Where a message came from, in terms every platform has: the scope team memory will be keyed on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["slack", "teams", "cli"]


@dataclass(frozen=True)
class Mention:
    """A person the platform itself marked as mentioned in the message (not text a user typed)."""

    user_id: str
    name: str = ""


@dataclass(frozen=True)
class Context:
    """Who asked, where.

    `workspace` is the Slack team id or the Teams tenant id; `channel` the Slack channel or the Teams
    conversation (a Teams channel's id, without the `;messageid=` of its thread); `thread` the thread's root.
    """

    platform: Platform
    workspace: str | None = None
    channel: str | None = None
    thread: str | None = None
    user: str | None = None
    user_name: str | None = None  # how the platform names the user (a Teams mention needs it)
    mentions: tuple[Mention, ...] = ()  # people mentioned in the message, as the platform verified them

    @property
    def scope(self) -> tuple[str, str, str]:
        """(platform, workspace, channel): what one team's stored agreements and roles are keyed on."""
        return self.platform, self.workspace or "", self.channel or ""


CLI = Context(platform="cli")
