"""manifest.yml and the Procfile match what the app serves."""

from pathlib import Path

import yaml

from bot.render.slack_assistant import suggested_prompts
from bot.settings import Settings
from bot.slack.app import INSTALL_PATH, REDIRECT_PATH
from bot.slack.native import MESSAGE_SHORTCUT

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_declares_the_command_scopes_events_and_interactivity():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/whodecides"
    assert command["url"].endswith("/slack/events")
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert set(events["bot_events"]) == {"app_mention", "message.im", "app_home_opened", "assistant_thread_started"}
    assert events["request_url"].endswith("/slack/events")
    assert manifest["settings"]["interactivity"] == {
        "is_enabled": True,
        "request_url": events["request_url"],
    }
    assert manifest["oauth_config"]["scopes"]["bot"] == Settings().slack_scopes.split(",")
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "Socket Mode" in (ROOT / "manifest.yml").read_text()
    assert INSTALL_PATH == "/slack/install"
    assert len(manifest["display_information"]["long_description"]) >= 175  # Slack's minimum


def test_manifest_declares_the_native_surfaces_and_the_scopes_they_need():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == MESSAGE_SHORTCUT == "whodecides_message"
    assert shortcut["name"] == "Who decides this?"
    assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 80  # Slack's limits
    view = manifest["features"]["assistant_view"]
    assert 0 < len(view["assistant_description"]) <= 200 and "Product Owner" in view["assistant_description"]
    prompts = view["suggested_prompts"]
    assert 1 <= len(prompts) <= 4 and all(p["title"] and p["message"] for p in prompts)
    assert [p["message"] for p in prompts] == [p["message"] for p in suggested_prompts()]  # same as in a thread
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    history = {"channels:history", "groups:history", "im:history", "mpim:history"}  # thread context
    assert history | {"assistant:write", "commands", "chat:write"} <= set(scopes)
    assert manifest["settings"]["org_deploy_enabled"] is False  # an option, documented in the README
    readme = (ROOT / "README.md").read_text()
    for scope in (*sorted(history), "assistant:write", "org_deploy_enabled", "missing_scope"):
        assert f"`{scope}`" in readme


def test_procfile_runs_the_production_server_and_the_socket_worker():
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert lines == {"web": "whodecides serve --port $PORT", "worker": "whodecides socket"}
