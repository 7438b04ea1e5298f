"""Team memory (issue 11, sections 1, 2 and 4) through both adapters, on their wire protocols.

Slack: signed slash commands, block actions and view submissions, replies caught at response_url and the Web
API mock. Teams: Bot Framework activities in a channel, replies caught at the local connector. One server, one
runtime, the real engine, a fresh SQLite: what a team records in one channel changes that channel's answers,
and nothing else's.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
from sqlalchemy import func, select

from bot.render.slack_memory import ACTION_RECORD, MODAL_CALLBACK
from bot.render.teams_memory import PRESS_ACTION, RECORD_ACTION
from bot.results import HEADLINES
from bot.store.tables import agreements, channel_context, role_holders
from tests.adapters.conftest import TEAMS_BOT, TEAMS_TENANT, TEAMS_USER, BothPlatforms, SlackDriver, TeamsDriver
from tests.fakes.slack_requests import view_submission_body

PLATFORMS = ["slack", "teams"]
RELEASE = "Who decides the release date?"
RELEASE_AGAIN = "when do we ship the next release?"
TODAY = time.strftime("%Y-%m-%d", time.gmtime())


@dataclass
class Shown:
    """One reply as its user saw it."""

    visible: str  # every string shown (texts, blocks, card elements, fallbacks)
    public: bool  # seen by the whole channel (Slack: in_channel / a channel post; Teams: always)
    buttons: dict[str, Any] = field(default_factory=dict)  # label → what pressing it sends
    mentions: list[str] = field(default_factory=list)  # user ids drawn as live mentions
    raw: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    platform: str
    me: str  # how the asker's own mention shows in a confirmation

    def say(self, text: str, *, channel: str = ..., workspace: str = ..., people: tuple[str, ...] = ()) -> Shown: ...
    def press(self, shown: Shown, label: str, *, channel: str = ..., workspace: str = ...) -> Shown: ...
    def record(
        self, shown: Shown, *, owner: str, decision: str | None = None, workspace_wide: bool = False
    ) -> Shown: ...
    def prefilled(self, shown: Shown) -> tuple[str, str]: ...


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, v in node.items() if key not in ("value", "data", "private_metadata") for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


# ------------------------------------------------------------------------------------------------ Slack
PEOPLE_SLACK = {"dana": "U0DANA", "lee": "U0LEE"}


class SlackChannel:
    platform = "slack"
    me = "<@UASKER>"

    def __init__(self, driver: SlackDriver) -> None:
        self.sender = driver.sender
        self.web_api = driver.web_api

    def _reply_at(self, name: str) -> dict[str, Any]:
        url_calls = self.web_api.wait_for("response_url", 1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = [c for c in self.web_api.calls("response_url") if c.path.endswith("/" + name)]
            if found:
                return found[-1].body
            time.sleep(0.02)
        raise AssertionError(f"no reply at {name}; {len(url_calls)} response_url calls")

    @staticmethod
    def shown(body: dict[str, Any], *, public: bool | None = None) -> Shown:
        blocks = body.get("blocks") or []
        buttons = {}
        for block in blocks:
            elements = [block["accessory"]] if "accessory" in block else block.get("elements") or []
            for e in elements:
                if e.get("type") == "button":
                    buttons[e["text"]["text"]] = (e["action_id"], e.get("value"))
        visible = "\n".join([body.get("text") or "", *_strings(blocks)])
        live = re.findall(r"<@([A-Z0-9]+)>", visible)
        is_public = body.get("response_type") == "in_channel" if public is None else public
        return Shown(visible, is_public, buttons, live, body)

    def say(
        self, text: str, *, channel: str = "C0001", workspace: str = "T0001", people: tuple[str, ...] = ()
    ) -> Shown:
        for person in people:  # Slack writes a picked user as <@U…|name> (should_escape: true)
            text = text.replace(f"@{person}", f"<@{PEOPLE_SLACK[person]}|{person}>")
        name = f"cmd-{time.monotonic_ns()}"
        url = self.web_api.response_url(name)
        response = self.sender.command(text, response_url=url, channel_id=channel, team_id=workspace)
        assert response.status_code == 200
        if response.content and response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            if body.get("text") or body.get("blocks"):
                return self.shown(body)  # answered in the acknowledgement (help)
        return self.shown(self._reply_at(name))

    def press(self, shown: Shown, label: str, *, channel: str = "C0001", workspace: str = "T0001") -> Shown:
        action_id, value = shown.buttons[label]
        name = f"press-{time.monotonic_ns()}"
        url = self.web_api.response_url(name)
        response = self.sender.action(
            action_id, value, response_url=url, user="UASKER", channel=channel, team_id=workspace
        )
        assert response.status_code == 200
        return self.shown(self._reply_at(name))

    def _open_modal(self, shown: Shown) -> dict[str, Any]:
        before = len(self.web_api.calls("views.open"))
        action_id, value = shown.buttons["Record as our agreement"]
        assert action_id == ACTION_RECORD
        response = self.sender.action(action_id, value, response_url=self.web_api.response_url("modal"), user="UASKER")
        assert response.status_code == 200
        call = self.web_api.wait_for("views.open", before + 1)[-1]
        assert call.body["trigger_id"].startswith("trigger.")
        return call.body["view"]

    def prefilled(self, shown: Shown) -> tuple[str, str]:
        view = self._open_modal(shown)
        assert view["callback_id"] == MODAL_CALLBACK
        blocks = {b["block_id"]: b for b in view["blocks"]}
        owner = blocks["owner"]["element"].get("initial_option", {}).get("value", "")
        return blocks["decision"]["element"]["initial_value"], owner

    def record(self, shown: Shown, *, owner: str, decision: str | None = None, workspace_wide: bool = False) -> Shown:
        view = self._open_modal(shown)
        blocks = {b["block_id"]: b for b in view["blocks"]}
        values = {
            "decision": {
                "decision": {
                    "type": "plain_text_input",
                    "value": decision or blocks["decision"]["element"]["initial_value"],
                }
            },
            "owner": {"owner": {"type": "static_select", "selected_option": {"value": owner}}},
            "workspace": {
                "workspace": {"type": "checkboxes", "selected_options": [{"value": "yes"}] if workspace_wide else []}
            },
        }
        posts = len(self.web_api.calls("chat.postMessage")) + len(self.web_api.calls("chat.postEphemeral"))
        body = view_submission_body(view, values, user="UASKER")
        assert self.sender.post(body, "application/x-www-form-urlencoded").status_code == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            calls = self.web_api.calls("chat.postMessage") + self.web_api.calls("chat.postEphemeral")
            if len(calls) > posts:
                call = sorted(calls, key=lambda c: c.at)[-1]
                assert call.body["channel"] == "C0001"
                return self.shown(call.body, public=call.method == "chat.postMessage")
            time.sleep(0.02)
        raise AssertionError("the modal's submission got no reply")


# ------------------------------------------------------------------------------------------------ Teams
PEOPLE_TEAMS = {"dana": ("29:1dana-teams-id", "Dana Scully"), "lee": ("29:1lee-teams-id", "Lee Adama")}
TEAMS_CHANNEL = "19:general0channel@thread.tacv2"


class TeamsChannel:
    platform = "teams"
    me = "<at>Ann Example</at>"

    def __init__(self, driver: TeamsDriver) -> None:
        self.driver = driver
        self.channel = TEAMS_CHANNEL
        self.tenant = TEAMS_TENANT

    def _post(
        self, text: str | None, *, channel: str, workspace: str, value: Any = None, people: tuple[str, ...] = ()
    ) -> Shown:
        connector = self.driver.connector
        before = len(connector.messages)
        entities: list[dict[str, Any]] = []
        if text is not None:
            entities.append({"type": "mention", "mentioned": dict(TEAMS_BOT), "text": f"<at>{TEAMS_BOT['name']}</at>"})
            for person in people:
                uid, name = PEOPLE_TEAMS[person]
                text = text.replace(f"@{person}", f"<at>{name}</at>")
                entities.append({"type": "mention", "mentioned": {"id": uid, "name": name}, "text": f"<at>{name}</at>"})
            text = f"<at>{TEAMS_BOT['name']}</at> {text}"
        activity_id = str(time.monotonic_ns())
        activity: dict[str, Any] = {
            "type": "message",
            "id": activity_id,
            "timestamp": "2026-11-22T10:00:00.000Z",
            "channelId": "msteams",
            "serviceUrl": connector.url,
            "from": dict(TEAMS_USER),
            "conversation": {
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": workspace,
                "id": f"{channel};messageid={activity_id}",
            },
            "recipient": dict(TEAMS_BOT),
            "textFormat": "plain",
            "entities": entities,
            "channelData": {
                "tenant": {"id": workspace},
                "channel": {"id": channel},
                "team": {"id": "19:team0@thread.tacv2"},
            },
        }
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
        assert self.driver.http.post(f"{self.driver.url}/api/messages", json=activity).status_code == 200
        messages = connector.messages
        assert len(messages) == before + 1, "exactly one reply per message"
        return self.shown(messages[-1].activity)

    @staticmethod
    def shown(posted: dict[str, Any]) -> Shown:
        cards = [a["content"] for a in posted.get("attachments") or []]
        buttons: dict[str, Any] = {}

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict):
                    buttons[node.get("title")] = node["data"]  # the last of a label, as on Slack
                if node.get("type") == "Action.ShowCard":
                    buttons[node.get("title")] = node["card"]
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(cards)
        mentions = [
            e["mentioned"]["id"] for card in cards for e in (card.get("msteams") or {}).get("entities") or []
        ] + [e["mentioned"]["id"] for e in posted.get("entities") or [] if e.get("type") == "mention"]
        visible = "\n".join([posted.get("text") or "", posted.get("summary") or "", *_strings(cards)])
        return Shown(visible, True, buttons, mentions, posted)

    def say(
        self, text: str, *, channel: str = TEAMS_CHANNEL, workspace: str = TEAMS_TENANT, people: tuple[str, ...] = ()
    ) -> Shown:
        return self._post(text, channel=channel, workspace=workspace, people=people)

    def press(self, shown: Shown, label: str, *, channel: str = TEAMS_CHANNEL, workspace: str = TEAMS_TENANT) -> Shown:
        data = shown.buttons[label]
        assert data["action"] == PRESS_ACTION
        return self._post(None, channel=channel, workspace=workspace, value=data)

    def prefilled(self, shown: Shown) -> tuple[str, str]:
        form = shown.buttons["Record as our agreement"]
        inputs = {e["id"]: e for e in form["body"]}
        return inputs["decision"]["value"], inputs["owner"].get("value", "")

    def record(self, shown: Shown, *, owner: str, decision: str | None = None, workspace_wide: bool = False) -> Shown:
        form = shown.buttons["Record as our agreement"]
        [submit] = form["actions"]
        assert submit["type"] == "Action.Submit" and submit["data"] == {"action": RECORD_ACTION}
        inputs = {e["id"]: e for e in form["body"]}
        # Teams merges the form's inputs into the submit's data, as strings.
        value = {
            **submit["data"],
            "decision": inputs["decision"]["value"] if decision is None else decision,
            "owner": owner,
            "workspace": "true" if workspace_wide else "false",
        }
        return self._post(None, channel=self.channel, workspace=self.tenant, value=value)


# ------------------------------------------------------------------------------------------------ fixtures
OTHER_CHANNEL = {"slack": "C0OTHER", "teams": "19:other0channel@thread.tacv2"}
OTHER_WORKSPACE = {"slack": "T0OTHER", "teams": "00000000-0000-4000-8000-0000000other"}
MY_ID = {"slack": "UASKER", "teams": TEAMS_USER["aadObjectId"]}


@pytest.fixture
def chan(both: BothPlatforms, request: pytest.FixtureRequest) -> Channel:
    platform = request.param
    driver = both.drivers[platform]
    return SlackChannel(driver) if platform == "slack" else TeamsChannel(driver)  # type: ignore[arg-type]


def count(both: BothPlatforms, table: Any) -> int:
    with both.runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def rows(both: BothPlatforms) -> list[dict[str, Any]]:
    with both.runtime.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(agreements).order_by(agreements.c.id)).mappings()]


def confirmation(chan: Channel, rest: str) -> str:
    return f"{chan.me} recorded: {rest}" if chan.platform == "slack" else f"@Ann Example recorded: {rest}"


def agreed_line(chan: Channel, where: str, rest: str) -> str:
    who = "<@UASKER>" if chan.platform == "slack" else "<at>Ann Example</at>"
    return f"Agreed {where} ({TODAY}, recorded by {who}): {rest}"


def joined(shown: Shown) -> str:
    """Slack shows a line as one mrkdwn string; Teams as a ColumnSet of text and mentions: read each as one."""
    if not shown.raw.get("attachments"):
        return shown.visible
    lines = []
    for row in _walk(shown.raw["attachments"], "ColumnSet"):
        lines.append(_row_text(row))
    return "\n".join(lines)


def _row_text(row: dict[str, Any]) -> str:
    """A ColumnSet's text in reading order (each column holds one TextBlock or one RichTextBlock)."""
    out = []
    for column in row["columns"]:
        for item in column["items"]:
            out.append(item["text"] if item["type"] == "TextBlock" else "".join(r["text"] for r in item["inlines"]))
    return "".join(out)


# ------------------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("chan", PLATFORMS, indirect=True)
def test_an_agreement_outranks_the_rules_in_its_channel_and_nowhere_else(both: BothPlatforms, chan: Channel) -> None:
    before = chan.say(RELEASE)
    assert HEADLINES["PM"] in before.visible and "Agreed" not in before.visible  # the rules say PM

    done = chan.say("agree PO the release date")
    assert done.public and "Undo" in done.buttons
    assert confirmation(chan, "in this channel, the Product Owner decides the release date.") in done.visible
    assert MY_ID[chan.platform] in done.mentions

    after = chan.say(RELEASE_AGAIN)  # asked another way: the same decision area
    assert HEADLINES["PO"] in after.visible and HEADLINES["PM"] not in after.visible
    assert agreed_line(chan, "in this channel", "the Product Owner decides the release date.") in joined(after)
    assert "The general rules differ: by them alone, the Product Manager decides." in after.visible
    assert "What the sources say:" in after.visible and "Product Manager" in after.visible  # passages shown

    elsewhere = chan.say(RELEASE, channel=OTHER_CHANNEL[chan.platform])
    other_workspace = chan.say(RELEASE, workspace=OTHER_WORKSPACE[chan.platform])
    for shown in (elsewhere, other_workspace):
        assert HEADLINES["PM"] in shown.visible and "Agreed" not in shown.visible
    unrelated = chan.say("Who decides the price of the enterprise tier?")
    assert HEADLINES["PM"] in unrelated.visible and "Agreed" not in unrelated.visible
    [row] = rows(both)
    assert (row["platform"], row["owner"], row["decision"], row["recorded_by"]) == (
        chan.platform,
        "PO",
        "the release date",
        MY_ID[chan.platform],
    )


@pytest.mark.parametrize("chan", PLATFORMS, indirect=True)
def test_a_channel_agreement_beats_the_workspace_one_and_isolation_holds(both: BothPlatforms, chan: Channel) -> None:
    wide = chan.say("agree --workspace dev team the release date")
    assert confirmation(chan, "in this workspace, the Development Team decides the release date.") in wide.visible
    other = chan.say(RELEASE, channel=OTHER_CHANNEL[chan.platform])
    assert HEADLINES["TEAM"] in other.visible
    assert agreed_line(chan, "in this workspace", "the Development Team decides the release date.") in joined(other)
    chan.say("agree Product Owner the release date")
    assert HEADLINES["PO"] in chan.say(RELEASE).visible  # this channel's own agreement wins
    assert HEADLINES["TEAM"] in chan.say(RELEASE, channel=OTHER_CHANNEL[chan.platform]).visible
    assert HEADLINES["PM"] in chan.say(RELEASE, workspace=OTHER_WORKSPACE[chan.platform]).visible
    listed = chan.say("agreements", workspace=OTHER_WORKSPACE[chan.platform])
    assert "No agreements here yet" in listed.visible and "decides the release date" not in listed.visible


@pytest.mark.parametrize("chan", PLATFORMS, indirect=True)
def test_undo_forget_and_remove_are_soft_and_announced(both: BothPlatforms, chan: Channel) -> None:
    done = chan.say("agree PO the release date")
    undone = chan.press(done, "Undo")
    assert undone.public and "undid: in this channel, the Product Owner decides the release date." in undone.visible
    assert HEADLINES["PM"] in chan.say(RELEASE).visible

    chan.say("agree PO the release date")
    chan.say("agree TEAM which database we use")
    chan.say("agree --workspace SHARED the pricing of the pro plan")
    listed = chan.say("agreements")
    if chan.platform == "slack":
        assert not listed.public  # the list is private to who asked
    text = listed.visible
    first, second, third = (text.index(f"{n}. ") for n in (1, 2, 3))
    assert first < second < third
    assert "1. channel: the Product Owner decides the release date" in text
    assert (
        "3. workspace: the Product Owner and the Product Manager decide together on the pricing of the pro plan" in text
    )
    assert removes(listed) == 3  # one Remove button per agreement

    forgot = chan.say("forget 1")
    assert forgot.public and "forgot: in this channel, the Product Owner decides the release date." in forgot.visible
    assert HEADLINES["PM"] in chan.say(RELEASE).visible
    relisted = chan.say("agreements")
    assert "1. channel: the Development Team decides which database we use" in relisted.visible
    assert "release date" not in relisted.visible
    removed = chan.press(relisted, "Remove")  # the last Remove button drawn: the workspace agreement
    assert removed.public and "removed: in this workspace" in removed.visible

    history = rows(both)
    assert len(history) == 4
    gone = [r for r in history if r["removed_at"] is not None]
    assert len(gone) == 3 and all(r["removed_by"] == MY_ID[chan.platform] for r in gone)
    again = chan.press(done, "Undo")  # a second Undo of the same agreement: said, nothing changes
    assert "That agreement is no longer recorded here" in again.visible
    assert not again.public or chan.platform == "teams"  # Teams has no private reply in a channel
    assert [r["removed_at"] for r in rows(both)] == [r["removed_at"] for r in history]


@pytest.mark.parametrize("chan", PLATFORMS, indirect=True)
def test_role_holders_are_named_and_the_context_applies(both: BothPlatforms, chan: Channel) -> None:
    dana, lee = (PEOPLE_SLACK if chan.platform == "slack" else {k: v[0] for k, v in PEOPLE_TEAMS.items()}).values()
    stored = chan.say("roles po=@dana pm=@lee", people=("dana", "lee"))
    assert stored.public and "Product Owner: " in stored.visible and {dana, lee} <= set(stored.mentions)
    shown = chan.say("roles")
    assert {dana, lee} <= set(shown.mentions)

    answer = chan.say("Who orders the product backlog?")
    assert HEADLINES["PO"] in answer.visible
    line = (
        f"<@{dana}> (Product Owner) decides; consult <@{lee}>"
        if chan.platform == "slack"
        else "<at>Dana Scully</at> (Product Owner) decides; consult <at>Lee Adama</at>"
    )
    assert line in joined(answer)
    assert set(answer.mentions) == {dana, lee}  # only the stored holders are mentioned
    assert "Dana" not in chan.say("Who orders the product backlog?", channel=OTHER_CHANNEL[chan.platform]).visible

    set_context = chan.say("context small company")
    assert set_context.public and "small company" in set_context.visible
    price = chan.say("Who decides the price of the enterprise tier?")
    assert HEADLINES["SHARED"] in price.visible
    assert "This channel's stored context: small company" in price.visible
    together = (
        f"<@{dana}> (Product Owner) and <@{lee}> (Product Manager) decide together"
        if chan.platform == "slack"
        else "<at>Dana Scully</at> (Product Owner) and <at>Lee Adama</at> (Product Manager) decide together"
    )
    assert together in joined(price)
    assert (
        HEADLINES["PM"]
        in chan.say("Who decides the price of the enterprise tier?", channel=OTHER_CHANNEL[chan.platform]).visible
    )
    chan.say("context no scrum")
    backlog = chan.say("Who orders the product backlog?")
    assert HEADLINES["PM"] in backlog.visible and "stored context: no scrum" in backlog.visible
    chan.say("context clear")
    assert HEADLINES["PM"] in chan.say("Who decides the price of the enterprise tier?").visible
    assert count(both, channel_context) == 0 and count(both, role_holders) == 2


@pytest.mark.parametrize("chan", PLATFORMS, indirect=True)
@pytest.mark.parametrize(
    ("text", "problem", "example"),
    [
        ("agree BOSS the release date", "“BOSS” is not an owner", "agree PO the release date"),
        ("agree PO", "Name the decision.", "agree PO the release date"),
        ("agree PM   ", "Name the decision.", "agree PO the release date"),
        ("agree PO " + "the launch of version nine " * 8, "keep it under 200", "agree PO the release date"),
        ("forget 3", "There is no agreement number 3 here", "forget 2"),
        ("forget two", "There is no agreement number two here", "forget 2"),
        ("roles po=@mallory", "“@mallory” is not a mention of a user", "roles po=@dana pm=@lee"),
        ("roles po=Dana", "“Dana” is not a mention of a user", "roles po=@dana pm=@lee"),
        ("roles boss=@dana", "“boss” is not a role", "roles po=@dana pm=@lee"),
        ("context tiny startup", "“tiny startup” is not a context I know", "context small company"),
    ],
)
def test_bad_input_gets_a_usage_line_with_an_example_and_stores_nothing(
    both: BothPlatforms, chan: Channel, text: str, problem: str, example: str
) -> None:
    chan.say("agree TEAM which database we use")  # one agreement, so `forget 3` names a missing number
    shown = chan.say(text, people=("dana",) if "@dana" in text else ())
    prefix = "/whodecides " if chan.platform == "slack" else ""
    assert problem in shown.visible and "Usage: " in shown.visible and f"e.g. {prefix}{example}" in shown.visible
    assert "Traceback" not in shown.visible
    assert len(rows(both)) == 1 and rows(both)[0]["removed_at"] is None
    assert count(both, role_holders) == 0 and count(both, channel_context) == 0


@pytest.mark.parametrize("chan", PLATFORMS, indirect=True)
def test_what_a_user_typed_is_escaped_in_confirmations_and_lists(both: BothPlatforms, chan: Channel) -> None:
    typed = "the <b>launch</b> & [site](http://evil.example) *now*"
    if chan.platform == "slack":  # Slack encodes & < > in the command text
        sent = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + " for <@U0EVIL|evil>"
    else:
        sent = typed + " for <at>Lee Adama</at>"
    done = chan.say(f"agree PO {sent}")
    listed = chan.say("agreements")
    for shown in (done, listed):
        assert set(shown.mentions) <= {MY_ID[chan.platform]}  # only the recorder, from the platform's own id
        if chan.platform == "slack":
            assert "&lt;b&gt;launch&lt;/b&gt; &amp; [site](http://evil.example)" in shown.visible
            assert "<b>" not in shown.visible and "<@U0EVIL" not in shown.visible and "<http" not in shown.visible
        else:
            runs = [r["text"] for r in _text_runs(shown.raw)]
            assert any("the <b>launch</b> & [site](http://evil.example) *now*" in r for r in runs)
            blocks = [b["text"] for b in _text_blocks(shown.raw)]
            assert not any("launch" in b or "evil" in b for b in blocks)  # never markdown, never a TextBlock


def removes(shown: Shown) -> int:
    if shown.raw.get("attachments"):
        return sum(1 for a in _walk(shown.raw["attachments"], "Action.Submit") if a.get("title") == "Remove")
    return sum(
        1 for b in shown.raw.get("blocks") or [] if (b.get("accessory") or {}).get("text", {}).get("text") == "Remove"
    )


def _walk(node: Any, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == kind:
            found.append(node)
        for v in node.values():
            found += _walk(v, kind)
    elif isinstance(node, list):
        for v in node:
            found += _walk(v, kind)
    return found


def _text_runs(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return _walk(raw.get("attachments"), "TextRun")


def _text_blocks(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return _walk(raw.get("attachments"), "TextBlock")


@pytest.mark.parametrize("chan", PLATFORMS, indirect=True)
def test_record_as_our_agreement_is_prefilled_and_editable(both: BothPlatforms, chan: Channel) -> None:
    answer = chan.say(RELEASE)
    assert chan.prefilled(answer) == ("the release date", "PM")
    done = chan.record(answer, owner="PO")
    assert (
        done.public
        and confirmation(chan, "in this channel, the Product Owner decides the release date.") in done.visible
    )
    assert HEADLINES["PO"] in chan.say(RELEASE_AGAIN).visible

    wide = chan.record(answer, owner="TEAM", decision="the CI pipeline", workspace_wide=True)
    assert "in this workspace, the Development Team decides the CI pipeline." in wide.visible
    refused = chan.record(answer, owner="PO", decision="   ")
    assert "Name the decision." in refused.visible and "Usage: " in refused.visible
    if chan.platform == "slack":
        assert not refused.public  # told to the user only
    assert [(r["owner"], r["decision"], r["channel"] == "") for r in rows(both)] == [
        ("PO", "the release date", False),
        ("TEAM", "the CI pipeline", True),
    ]


def test_app_home_lists_the_workspace_agreements_by_channel(both: BothPlatforms) -> None:
    slack = SlackChannel(both.drivers["slack"])  # type: ignore[arg-type]
    slack.say("agree PO the release date")
    slack.say("agree TEAM which database we use", channel="C0OTHER")
    slack.say("agree --workspace PM the pricing of the pro plan")
    slack.say("agree PO not ours", workspace="T0OTHER")
    web_api = slack.web_api
    before = len(web_api.calls("views.publish"))
    event = {"type": "app_home_opened", "user": "UASKER", "channel": "D0001", "tab": "home", "event_ts": "1700000000.1"}
    assert slack.sender.event(event).status_code == 200
    view = web_api.wait_for("views.publish", before + 1)[-1].body["view"]
    text = "\n".join(_strings(view["blocks"]))
    assert "Our agreements" in text
    at = {k: text.index(k) for k in ("Whole workspace", "<#C0001>", "<#C0OTHER>")}
    assert text.index("the Product Manager decides the pricing of the pro plan") > at["Whole workspace"]
    assert at["<#C0001>"] < text.index("the Product Owner decides the release date") < at["<#C0OTHER>"]
    assert text.index("the Development Team decides which database we use") > at["<#C0OTHER>"]
    assert "not ours" not in text


def test_the_ask_json_contract_carries_the_agreement(both: BothPlatforms) -> None:
    """What `ask --json` prints is Answer.to_dict: the agreement as recorded, null where none applies."""
    from bot.conversation import Context

    conversation = both.runtime.conversation
    where = Context("slack", "T0001", "C0001", None, "UASKER")
    assert conversation.reply_now(RELEASE, where).answer.to_dict()["agreement"] is None  # type: ignore[union-attr]
    conversation.reply_now("agree PO the release date", where)
    data = conversation.reply_now(RELEASE, where).answer.to_dict()  # type: ignore[union-attr]
    agreement = data["agreement"]
    assert data["recommendation"] == "PO"
    assert {k: agreement[k] for k in ("owner", "decision", "scope", "recorded_by")} == {
        "owner": "PO",
        "decision": "the release date",
        "scope": "slack:T0001:C0001",
        "recorded_by": "UASKER",
    }
    assert agreement["recorded_at"].startswith(TODAY)
    json.dumps(data)  # serialisable as printed
