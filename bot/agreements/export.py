"""The decision-rights page: a scope's agreements as Markdown (to paste into a wiki), CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.agreements.store import Agreement
from bot.results import ROLE_NAMES

FORMATS = ("md", "csv", "json")
FIELDS = (
    "id",
    "scope",
    "decision",
    "owner",
    "owner_name",
    "consult",
    "note",
    "recorded_by",
    "recorded_at",
    "removed_by",
    "removed_at",
)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def row(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "scope": str(agreement.scope),
        "decision": agreement.decision,
        "owner": agreement.owner,
        "owner_name": ROLE_NAMES.get(agreement.owner, agreement.owner),
        "consult": agreement.consult,
        "note": agreement.note,
        "recorded_by": agreement.recorded_by,
        "recorded_at": _when(agreement.recorded_at),
        "removed_by": agreement.removed_by or "",
        "removed_at": _when(agreement.removed_at),
    }


def export(agreements: Sequence[Agreement], fmt: str, *, title: str, history: bool = False) -> str:
    if fmt == "json":
        return json.dumps([row(a) for a in agreements], ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row(a) for a in agreements)
        return out.getvalue()
    if fmt == "md":
        return markdown(agreements, title=title, history=history)
    raise ValueError(fmt)


def _cell(text: object) -> str:
    """Table-safe: a pipe or a line break would end the cell; HTML stays text."""
    value = " ".join(str(text).split())
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def markdown(agreements: Sequence[Agreement], *, title: str, history: bool = False) -> str:
    lines = [f"# Decision rights: {_cell(title)}", ""]
    active = [a for a in agreements if a.active]
    if not active:
        lines.append("_No agreements recorded._")
    else:
        lines += [
            "Who decides what, as the team agreed it (channel agreements win over workspace ones).",
            "",
            "| Decision | Who decides | Consult | Scope | Recorded | Note |",
            "|---|---|---|---|---|---|",
        ]
        for a in active:
            recorded = f"{a.recorded_at:%Y-%m-%d} by {_cell(a.recorded_by_name or a.recorded_by)}"
            lines.append(
                f"| {_cell(a.decision)} | {ROLE_NAMES.get(a.owner, a.owner)} | {_cell(a.consult) or '—'} | "
                f"{_cell(a.scope)} | {recorded} | {_cell(a.note) or '—'} |"
            )
    removed = [a for a in agreements if not a.active]
    if history:
        lines += ["", "## History (removed agreements)", ""]
        if not removed:
            lines.append("_Nothing removed._")
        else:
            lines += ["| Decision | Who decided | Scope | Recorded | Removed |", "|---|---|---|---|---|"]
            for a in removed:
                lines.append(
                    f"| {_cell(a.decision)} | {ROLE_NAMES.get(a.owner, a.owner)} | {_cell(a.scope)} | "
                    f"{a.recorded_at:%Y-%m-%d} by {_cell(a.recorded_by_name or a.recorded_by)} | "
                    f"{_when(a.removed_at)[:10]} by {_cell(a.removed_by or '')} |"
                )
    return "\n".join(lines) + "\n"
