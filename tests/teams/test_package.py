"""`whodecides teams-package`: the sideload zip holds a valid manifest and two real PNG icons."""

from __future__ import annotations

import json
import logging
import struct
import zipfile
import zlib
from pathlib import Path

from bot.settings import Settings
from bot.teams import package

BOT_ID = "6f1d5b0c-2f7e-4c3a-9a57-1f0b9b1c2d3e"


def read_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, colour type and the decoded rows (filter byte removed) of an 8-bit PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append(kind)
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    ihdr = data[16:29]
    width, height, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    assert depth == 8
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    rows = [raw[i * stride + 1 : (i + 1) * stride] for i in range(height)]
    assert all(raw[i * stride] == 0 for i in range(height))
    return width, height, colour, rows


def test_package_has_manifest_and_icons_at_the_zip_root(tmp_path: Path) -> None:
    out = package.build(Settings(teams_client_id=BOT_ID), tmp_path / "app.zip")
    assert out == tmp_path / "app.zip"
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
        color = read_png(zf.read("color.png"))
        outline = read_png(zf.read("outline.png"))

    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")
    assert tuple(int(x) for x in manifest["manifestVersion"].split(".")) >= (1, 30)
    assert manifest["id"] == BOT_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == BOT_ID
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    [commands] = bot["commandLists"]
    assert sorted(commands["scopes"]) == ["groupChat", "personal", "team"]
    assert 1 <= len(commands["commands"]) <= 10
    for command in commands["commands"]:
        assert 0 < len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128
    # Prompt starters: real questions the bot answers (and "help").
    starters = [c["title"] for c in commands["commands"] if c["title"] != "help"]
    assert len(starters) >= 3 and all(t.startswith("Who ") or t.endswith("?") for t in starters)
    assert len({t.lower() for t in starters}) == len(starters)
    # The message action "Who decides this?": an action command on messages, served by the same bot.
    [extension] = manifest["composeExtensions"]
    assert extension["botId"] == BOT_ID
    [command] = extension["commands"]
    assert command["id"] == package.MESSAGE_ACTION_ID
    assert (command["type"], command["context"], command["fetchTask"]) == ("action", ["message"], True)
    assert 0 < len(command["title"]) <= 32 and 0 < len(command.get("description", "")) <= 128
    assert set(command) <= {"id", "type", "title", "description", "context", "fetchTask", "parameters"}
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://")

    width, height, colour_type, rows = color
    assert (width, height, colour_type) == (192, 192, 6)
    assert all(px[3] == 255 for row in rows for px in zip(*[iter(row)] * 4, strict=True))  # opaque
    width, height, colour_type, rows = outline
    assert (width, height, colour_type) == (32, 32, 6)
    pixels = [tuple(row[i : i + 4]) for row in rows for i in range(0, len(row), 4)]
    # Outline: only white and fully transparent pixels, and some of each.
    assert set(pixels) == {(255, 255, 255, 255), (0, 0, 0, 0)}


def test_missing_client_id_uses_a_placeholder_and_says_so(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.teams.package"):
        out = package.build(Settings(), tmp_path)
    assert out == tmp_path / "whodecides-teams.zip"  # a directory gets the default file name
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == package.PLACEHOLDER_BOT_ID == manifest["id"]
    assert "CLIENT_ID is not set" in caplog.text and package.PLACEHOLDER_BOT_ID in caplog.text


def test_rebuild_overwrites_and_creates_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "pkg.zip"
    package.build(Settings(), target)
    package.build(Settings(teams_client_id=BOT_ID), target)
    with zipfile.ZipFile(target) as zf:
        assert json.loads(zf.read("manifest.json"))["id"] == BOT_ID


def test_the_cli_command_builds_the_package(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "from-cli.zip"
    env = {k: v for k, v in os.environ.items() if k not in ("CLIENT_SECRET", "TENANT_ID")}
    env["CLIENT_ID"] = BOT_ID
    result = subprocess.run(
        [sys.executable, "-m", "bot", "teams-package", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("manifest.json"))["bots"][0]["botId"] == BOT_ID


def test_no_out_writes_the_default_location(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(package, "DEFAULT_OUT", tmp_path / "dist" / "whodecides-teams.zip")
    assert package.build(Settings(teams_client_id=BOT_ID)) == tmp_path / "dist" / "whodecides-teams.zip"
    assert zipfile.is_zipfile(tmp_path / "dist" / "whodecides-teams.zip")
