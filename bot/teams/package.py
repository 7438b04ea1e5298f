"""`whodecides teams-package`: the Teams app package (manifest.json + two icons, zipped) for sideloading.

The icons are drawn here with zlib/struct (two overlapping rings: the PO and the PM), so the package needs
no image library and no binary files in the repository.
"""

from __future__ import annotations

import json
import logging
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.settings import ROOT, Settings

log = logging.getLogger(__name__)

MANIFEST_VERSION = "1.30"
MANIFEST_SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
APP_VERSION = "1.0.0"
PLACEHOLDER_BOT_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_OUT = ROOT / "dist" / "whodecides-teams.zip"
ACCENT = (0x46, 0x4E, 0xB8)  # the card accent colour, also the icon background
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"

# Prompt starters: the bot's command list, shown in the compose box; a click puts the title in the box.
# Real questions, each title ≤ 32 characters, its description ≤ 128.
COMMANDS = (
    ("Who sets the enterprise price?", "Who decides the price of the enterprise tier?"),
    ("Who orders the product backlog?", "Who decides the order of the items in the product backlog?"),
    ("Who owns the product roadmap?", "Who owns the product roadmap and the vision behind it?"),
    ("Who picks the tech stack?", "Who decides which programming language and frameworks the team uses?"),
    ("Who decides the release date?", "Who decides when a release ships to customers?"),
    ("One product person: who decides?", "We are a tiny startup with one product person: who decides what?"),
    ("help", "What I answer, and how to ask"),
)

# The message action "Who decides this?" (bot/teams/extension.py): on any message's ... menu.
MESSAGE_ACTION_ID = "whodecidesThis"
MESSAGE_ACTION = {
    "id": MESSAGE_ACTION_ID,
    "type": "action",
    "title": "Who decides this?",
    "description": "Ask whodecides who decides what this message is about, and add the answer to the conversation",
    "context": ["message"],
    "fetchTask": True,
}


def build(settings: Settings, out: Path | None = None) -> Path:
    """Write the sideload zip and return its path."""
    import zipfile

    bot_id = settings.teams_client_id
    if not bot_id:
        log.warning(
            "CLIENT_ID is not set: the package uses the placeholder bot id %s. Set CLIENT_ID to your Azure "
            "bot's Microsoft App ID and run `whodecides teams-package` again before uploading it to Teams.",
            PLACEHOLDER_BOT_ID,
        )
    path = Path(out) if out is not None else DEFAULT_OUT
    if path.is_dir() or (out is not None and str(out).endswith(("/", "\\"))):
        path = path / "whodecides-teams.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        # Teams wants the three files at the root of the zip, not in a folder.
        zf.writestr("manifest.json", json.dumps(manifest(bot_id or PLACEHOLDER_BOT_ID), indent=2) + "\n")
        zf.writestr(COLOR_ICON, color_icon())
        zf.writestr(OUTLINE_ICON, outline_icon())
    return path


def manifest(bot_id: str) -> dict[str, Any]:
    scopes = ["personal", "team", "groupChat"]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": APP_VERSION,
        "id": bot_id,
        "developer": {
            "name": "whodecides",
            "websiteUrl": "https://example.com/whodecides",
            "privacyUrl": "https://example.com/whodecides/privacy",
            "termsOfUseUrl": "https://example.com/whodecides/terms",
        },
        "name": {"short": "whodecides", "full": "whodecides: Product Owner or Product Manager?"},
        "description": {
            "short": "Who decides: the Product Owner or the Product Manager?",
            "full": (
                "Ask who decides a product decision (pricing, the backlog, the roadmap, a release...). "
                "whodecides answers with a recommendation, who to consult, a rationale and the passages "
                "it rests on. Chat with it directly, or @mention it in a channel or group chat."
            ),
        },
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": bot_id,
                "scopes": scopes,
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": scopes,
                        "commands": [{"title": t, "description": d} for t, d in COMMANDS],
                    }
                ],
            }
        ],
        "composeExtensions": [{"botId": bot_id, "commands": [dict(MESSAGE_ACTION)]}],
        "validDomains": [],
    }


# ---------------------------------------------------------------- icons
def color_icon(size: int = 192) -> bytes:
    """192x192 full-colour icon: two white rings on the accent colour."""
    return _png(size, lambda x, y: _rings(x, y, size, fg=(255, 255, 255, 255), bg=(*ACCENT, 255)))


def outline_icon(size: int = 32) -> bytes:
    """32x32 outline icon: white on a transparent background, as Teams requires."""
    return _png(size, lambda x, y: _rings(x, y, size, fg=(255, 255, 255, 255), bg=(0, 0, 0, 0)))


def _rings(x: int, y: int, size: int, *, fg: tuple[int, ...], bg: tuple[int, ...]) -> tuple[int, ...]:
    cx, cy = x + 0.5, y + 0.5
    r = size * 0.24
    width = max(1.5, size * 0.055)
    for ox in (size * 0.38, size * 0.62):
        d = ((cx - ox) ** 2 + (cy - size / 2) ** 2) ** 0.5
        if abs(d - r) <= width / 2:
            return fg
    return bg


def _png(size: int, pixel: Callable[[int, int], bytes | tuple[int, ...]]) -> bytes:  # (x, y) -> RGBA
    raw = bytearray()
    for y in range(size):
        raw.append(0)  # filter type: none
        for x in range(size):
            raw.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )
