"""`whodecides socket`: the same app over Socket Mode, against a local Socket Mode WebSocket server.

apps.connections.open is answered by the Web API mock (so SLACK_API_URL is honoured there too) with the
local server's ws:// URL. Covered: hello, envelopes of each kind, acks, replies, retries, and reconnection
after Slack's `disconnect` message and after a dropped socket.
"""

from __future__ import annotations

import asyncio
import json
import threading
from urllib.parse import parse_qs

import pytest

from bot.settings import Settings
from bot.slack.socket_mode import build_socket_app, build_socket_handler, run_until
from tests.fakes.answerer import FakeAnswerer
from tests.fakes.slack_requests import (
    block_action_body,
    dm,
    event_body,
    feedback_values,
    mention,
    message_action_body,
    slash_command_body,
    view_submission_body,
)
from tests.fakes.socket_mode_server import SocketModeServer
from tests.slack.conftest import slack_settings

APP_TOKEN = "xapp-1-A0001-test"


class SocketRunner:
    """Runs the Socket Mode app on its own event loop in a thread, as `whodecides socket` would."""

    def __init__(self, settings: Settings, answerer: FakeAnswerer) -> None:
        self.settings = settings
        self.answerer = answerer
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self.stop_event = asyncio.Event()
            app = build_socket_app(self.settings, self.answerer)
            handler = build_socket_handler(self.settings, app, ping_interval=1)
            await run_until(handler, self.stop_event)

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - surfaced by the test
            self.error = exc

    def start(self) -> SocketRunner:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()
        assert self.error is None, self.error


@pytest.fixture
def socket_server():
    with SocketModeServer() as server:
        yield server


@pytest.fixture
def socket_app(web_api, socket_server, tmp_path, answerer):
    web_api.socket_mode_url = socket_server.url
    settings = slack_settings(web_api, tmp_path, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    runner = SocketRunner(settings, answerer).start()
    socket_server.wait_for_connections(1)
    yield runner
    runner.stop()


def form_payload(body: str) -> dict:
    return {k: v[0] for k, v in parse_qs(body).items()}


def test_connects_with_the_app_token_through_slack_api_url_and_gets_hello(socket_app, socket_server, web_api):
    [opened] = web_api.calls("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert opened.path == "/api/apps.connections.open"
    assert len(socket_server.connections) == 1


def test_an_event_envelope_is_acked_and_answered_in_the_thread(socket_app, socket_server, web_api):
    payload = json.loads(event_body(mention("<@UBOT> who decides the price?", ts="1700000000.777777")))
    envelope_id = socket_server.send_envelope(payload)
    ack = socket_server.wait_for_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id, "connection": 1}
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.777777"
    assert post.body["text"].startswith("The Product Manager decides")
    assert post.headers["authorization"] == "Bearer xoxb-test-token"


def test_a_redelivered_event_envelope_is_acked_but_answered_once(socket_app, socket_server, web_api):
    payload = json.loads(event_body(mention("<@UBOT> who orders the backlog?"), event_id="EvSocket"))
    socket_server.wait_for_ack(socket_server.send_envelope(payload))
    web_api.wait_for("chat.postMessage")
    socket_server.wait_for_ack(socket_server.send_envelope(payload, retry_attempt=1))
    web_api.settle()
    assert len(web_api.calls("chat.postMessage")) == 1


def test_slash_command_and_button_envelopes(socket_app, socket_server, web_api):
    help_id = socket_server.send_envelope(
        form_payload(slash_command_body("help", response_url=web_api.response_url("h"))), type_="slash_commands"
    )
    usage = socket_server.wait_for_ack(help_id)["payload"]  # usage comes back in the ack itself
    assert "/whodecides" in usage["text"] and usage["response_type"] == "ephemeral"

    ask_id = socket_server.send_envelope(
        form_payload(slash_command_body("who decides the price?", response_url=web_api.response_url("a"))),
        type_="slash_commands",
    )
    assert "payload" not in socket_server.wait_for_ack(ask_id)
    [answer] = web_api.wait_for("response_url")
    assert answer.body["response_type"] == "ephemeral" and "Product Manager" in answer.body["text"]

    click = json.loads(
        form_payload(
            block_action_body("whodecides_why", '{"q":"who decides the price?"}', response_url=web_api.response_url())
        )["payload"]
    )
    socket_server.wait_for_ack(socket_server.send_envelope(click, type_="interactive"))
    why = web_api.wait_for("response_url", 2)[1]
    assert "Pricing and packaging" in json.dumps(why.body)


@pytest.mark.parametrize("how", ["disconnect-message", "dropped-socket"])
def test_reconnects_after_a_disconnect_and_keeps_answering(how, socket_app, socket_server, web_api):
    if how == "disconnect-message":
        socket_server.disconnect()
    else:
        socket_server.drop()
    socket_server.wait_for_connections(2)
    web_api.wait_for("apps.connections.open", 2)  # a fresh URL for the new connection

    payload = json.loads(event_body(mention("<@UBOT> who decides the price?")))
    envelope_id = socket_server.send_envelope(payload)
    assert socket_server.wait_for_ack(envelope_id)["connection"] == 2
    web_api.wait_for("chat.postMessage")


def test_socket_mode_needs_an_app_token(web_api, tmp_path):
    from bot.errors import WhodecidesError
    from bot.slack.socket_mode import check_socket_settings

    for overrides, needle in (
        ({"slack_app_token": None}, "SLACK_APP_TOKEN"),
        ({"slack_app_token": "xoxb-wrong-kind"}, "xapp-"),
        ({"slack_app_token": APP_TOKEN, "slack_bot_token": None}, "SLACK_BOT_TOKEN"),
    ):
        settings = slack_settings(web_api, tmp_path, **overrides)
        with pytest.raises(WhodecidesError, match=needle):
            check_socket_settings(settings)
    check_socket_settings(slack_settings(web_api, tmp_path, slack_app_token=APP_TOKEN))


def test_the_native_surfaces_work_over_socket_mode_too(socket_app, socket_server, web_api, answerer):
    # The AI app surface: suggested prompts when a thread starts, then status, answer and title.
    started = {
        "type": "assistant_thread_started",
        "assistant_thread": {"user_id": "UASKER", "channel_id": "D0ASSIST", "thread_ts": "1700000100.000100"},
    }
    socket_server.wait_for_ack(socket_server.send_envelope(json.loads(event_body(started))))
    [prompts] = web_api.wait_for("assistant.threads.setSuggestedPrompts")
    assert (prompts.body["channel_id"], prompts.body["thread_ts"]) == ("D0ASSIST", "1700000100.000100")
    asked = dm("who orders the backlog?", channel="D0ASSIST", ts="1700000100.000300", thread_ts="1700000100.000100")
    socket_server.wait_for_ack(socket_server.send_envelope(json.loads(event_body(asked))))
    [post] = web_api.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000100.000100" and post.body["text"].startswith("The Product Owner")
    web_api.wait_for("assistant.threads.setStatus")
    web_api.wait_for("assistant.threads.setTitle")

    # The message shortcut, answered privately through its response_url.
    shortcut = json.loads(
        form_payload(
            message_action_body({"text": "<@UBOT> who decides the price?"}, response_url=web_api.response_url())
        )["payload"]
    )
    socket_server.wait_for_ack(socket_server.send_envelope(shortcut, type_="interactive"))
    [answer] = web_api.wait_for("response_url")
    assert answer.body["response_type"] == "ephemeral" and answer.body["text"].startswith("The Product Manager")

    # Native 👎: the modal opens, and its submission is acked with the updated view.
    down = feedback_values(post.body)["down"]
    click = json.loads(
        form_payload(
            block_action_body(
                "whodecides_feedback", down, response_url=web_api.response_url("fb"), action_type="feedback_buttons"
            )
        )["payload"]
    )
    socket_server.wait_for_ack(socket_server.send_envelope(click, type_="interactive"))
    view = web_api.wait_for("views.open")[0].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {"reason": {"reason": {"type": "radio_buttons", "selected_option": {"value": "misunderstood"}}}}
    submission = json.loads(form_payload(view_submission_body(view, values, user="UCLICKER"))["payload"])
    web_api.wait_for("response_url", 2)  # the vote is stored (its thank-you is out) before the reason comes
    ack = socket_server.wait_for_ack(socket_server.send_envelope(submission, type_="interactive"))
    assert ack["payload"]["response_action"] == "update"
    assert "Thanks, that helps" in json.dumps(ack["payload"]["view"])
