"""A team's memory in the database: agreements (soft-removed), role holders and the channel's context.

Every read goes to the database (no cache), so what one replica records the next answer on any replica uses.
Every query is keyed on the platform and workspace: nothing crosses a workspace or tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, RowMapping, and_, delete, or_, select, update

from bot.store.db import durable_write, ensure_schema
from bot.store.sanitize import clean_text
from bot.store.tables import agreements, channel_context, role_holders

WORKSPACE = ""  # the channel of a workspace-wide agreement


@dataclass(frozen=True)
class Scope:
    """(platform, workspace, channel): a Slack team + channel, or a Teams tenant + conversation."""

    platform: str
    workspace: str
    channel: str = WORKSPACE

    @classmethod
    def parse(cls, text: str) -> Scope:
        """`slack:TEAM_ID:CHANNEL_ID`, `teams:TENANT:CONVERSATION` (ids may hold colons), or `slack:TEAM_ID`."""
        platform, _, rest = text.partition(":")
        workspace, _, channel = rest.partition(":")
        if platform not in ("slack", "teams", "cli") or not workspace:
            raise ValueError(text)
        return cls(platform, workspace, channel)

    @property
    def wide(self) -> Scope:
        return Scope(self.platform, self.workspace)

    @property
    def is_workspace(self) -> bool:
        return self.channel == WORKSPACE

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace}" + (f":{self.channel}" if self.channel else "")


@dataclass(frozen=True)
class Agreement:
    id: int
    scope: Scope
    decision: str
    owner: str
    consult: str
    note: str
    recorded_by: str
    recorded_by_name: str
    recorded_at: datetime
    removed_by: str | None = None
    removed_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True)
class RoleHolder:
    role: str
    user_id: str
    name: str


def now() -> datetime:
    return datetime.now(UTC)


def _aware(value: object) -> datetime | None:
    """SQLite hands back naive datetimes for timezone columns: they were written in UTC."""
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _agreement(m: RowMapping | dict[str, object]) -> Agreement:
    return Agreement(
        id=int(str(m["id"])),
        scope=Scope(str(m["platform"]), str(m["workspace"]), str(m["channel"])),
        decision=str(m["decision"]),
        owner=str(m["owner"]),
        consult=str(m["consult"] or ""),
        note=str(m["note"] or ""),
        recorded_by=str(m["recorded_by"]),
        recorded_by_name=str(m["recorded_by_name"] or ""),
        recorded_at=_aware(m["recorded_at"]) or now(),
        removed_by=None if m["removed_by"] is None else str(m["removed_by"]),
        removed_at=_aware(m["removed_at"]),
    )


class TeamMemoryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ agreements
    def add(
        self,
        scope: Scope,
        *,
        decision: str,
        owner: str,
        recorded_by: str,
        recorded_by_name: str = "",
        consult: str = "",
        note: str = "",
    ) -> Agreement:
        ensure_schema(self.engine)
        row = {
            "platform": scope.platform,
            "workspace": clean_text(scope.workspace, 128),
            "channel": clean_text(scope.channel, 256),
            "decision": clean_text(decision, 200),
            "owner": owner,
            "consult": clean_text(consult) or None,
            "note": clean_text(note) or None,
            "recorded_by": clean_text(recorded_by, 128),
            "recorded_by_name": clean_text(recorded_by_name, 200) or None,
            "recorded_at": now(),
        }
        new_id = durable_write(
            self.engine, lambda conn: conn.execute(agreements.insert().values(**row)).inserted_primary_key[0]
        )
        return _agreement({"id": new_id, **row, "removed_by": None, "removed_at": None})

    def listed(self, scope: Scope) -> list[Agreement]:
        """The active agreements a channel sees, its own and its workspace's, in the order recorded."""
        ensure_schema(self.engine)
        query = (
            select(agreements)
            .where(
                agreements.c.platform == scope.platform,
                agreements.c.workspace == scope.workspace,
                or_(agreements.c.channel == scope.channel, agreements.c.channel == WORKSPACE),
                agreements.c.removed_at.is_(None),
            )
            .order_by(agreements.c.recorded_at, agreements.c.id)
        )
        with self.engine.connect() as conn:
            return [_agreement(r) for r in conn.execute(query).mappings()]

    def get(self, agreement_id: int, scope: Scope) -> Agreement | None:
        """The agreement, if it is visible from `scope` (its channel, or its workspace when workspace-wide)."""
        ensure_schema(self.engine)
        query = select(agreements).where(
            agreements.c.id == agreement_id,
            agreements.c.platform == scope.platform,
            agreements.c.workspace == scope.workspace,
            or_(agreements.c.channel == scope.channel, agreements.c.channel == WORKSPACE),
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _agreement(row) if row is not None else None

    def remove(self, agreement_id: int, scope: Scope, removed_by: str) -> Agreement | None:
        """Soft removal; None when there is no such active agreement visible from `scope`."""
        found = self.get(agreement_id, scope)
        if found is None or not found.active:
            return None
        stamp = now()
        changed = durable_write(
            self.engine,
            lambda conn: (
                conn.execute(
                    update(agreements)
                    .where(agreements.c.id == agreement_id, agreements.c.removed_at.is_(None))
                    .values(removed_by=clean_text(removed_by, 128), removed_at=stamp)
                ).rowcount
            ),
        )
        if not changed:  # another replica removed it meanwhile
            return None
        return replace(found, removed_by=removed_by, removed_at=stamp)

    def everything(self, scope: Scope | None, *, history: bool = False) -> list[Agreement]:
        """For export: a scope's agreements (a channel's and its workspace's; a workspace scope: every
        channel of it), or every agreement (scope None); removed ones too with `history`."""
        ensure_schema(self.engine)
        query = select(agreements)
        if scope is not None:
            query = query.where(agreements.c.platform == scope.platform, agreements.c.workspace == scope.workspace)
            if not scope.is_workspace:
                query = query.where(or_(agreements.c.channel == scope.channel, agreements.c.channel == WORKSPACE))
        if not history:
            query = query.where(agreements.c.removed_at.is_(None))
        query = query.order_by(agreements.c.platform, agreements.c.workspace, agreements.c.recorded_at, agreements.c.id)
        with self.engine.connect() as conn:
            return [_agreement(r) for r in conn.execute(query).mappings()]

    # ------------------------------------------------------------------ role holders
    def set_roles(self, scope: Scope, holders: dict[str, tuple[str, str]], set_by: str) -> None:
        ensure_schema(self.engine)
        stamp = now()
        key = and_(
            role_holders.c.platform == scope.platform,
            role_holders.c.workspace == scope.workspace,
            role_holders.c.channel == scope.channel,
        )

        def work(conn: Connection) -> None:
            for role, (user_id, name) in holders.items():
                conn.execute(delete(role_holders).where(key, role_holders.c.role == role))
                conn.execute(
                    role_holders.insert().values(
                        platform=scope.platform,
                        workspace=scope.workspace,
                        channel=scope.channel,
                        role=role,
                        user_id=clean_text(user_id, 128),
                        name=clean_text(name, 200) or None,
                        set_by=clean_text(set_by, 128),
                        set_at=stamp,
                    )
                )

        durable_write(self.engine, work)

    def roles(self, scope: Scope) -> list[RoleHolder]:
        ensure_schema(self.engine)
        query = (
            select(role_holders.c.role, role_holders.c.user_id, role_holders.c.name)
            .where(
                role_holders.c.platform == scope.platform,
                role_holders.c.workspace == scope.workspace,
                role_holders.c.channel == scope.channel,
            )
            .order_by(role_holders.c.role)
        )
        with self.engine.connect() as conn:
            return [RoleHolder(r, u, n or "") for r, u, n in conn.execute(query)]

    # ------------------------------------------------------------------ context
    def set_context(self, scope: Scope, value: str | None, set_by: str) -> None:
        ensure_schema(self.engine)
        key = and_(
            channel_context.c.platform == scope.platform,
            channel_context.c.workspace == scope.workspace,
            channel_context.c.channel == scope.channel,
        )

        def work(conn: Connection) -> None:
            conn.execute(delete(channel_context).where(key))
            if value is not None:
                conn.execute(
                    channel_context.insert().values(
                        platform=scope.platform,
                        workspace=scope.workspace,
                        channel=scope.channel,
                        context=value,
                        set_by=clean_text(set_by, 128),
                        set_at=now(),
                    )
                )

        durable_write(self.engine, work)

    def context(self, scope: Scope) -> str | None:
        ensure_schema(self.engine)
        query = select(channel_context.c.context).where(
            channel_context.c.platform == scope.platform,
            channel_context.c.workspace == scope.workspace,
            channel_context.c.channel == scope.channel,
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()
