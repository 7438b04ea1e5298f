"""Multi-workspace install: /slack/install → Slack → /slack/oauth_redirect, with the SQLAlchemy stores.

oauth.v2.access and auth.test are answered by the Web API mock (SLACK_API_URL); the installation lands in
the database and later events from that workspace are answered with its own bot token.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select

from bot.store import make_engine
from bot.store.tables import metadata
from tests.fakes.slack_requests import event_body, mention
from tests.slack.conftest import slack_settings

CLIENT_ID = "1111.2222"


@pytest.fixture
def oauth_server(web_api, tmp_path, answerer, start_server):
    settings = slack_settings(
        web_api,
        tmp_path,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret",
    )
    server, slack = start_server(settings, answerer)
    return settings, server, slack


def start_install(server) -> tuple[str, str]:
    """GET /slack/install: the page links to Slack's authorize URL; the state is also set as a cookie."""
    r = httpx.get(server.url + "/slack/install")
    assert r.status_code == 200
    url = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', r.text).group(1)
    query = parse_qs(urlparse(url.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert "commands" in query["scope"][0] and "chat:write" in query["scope"][0]
    cookie = r.headers["set-cookie"]
    state = re.search(r"slack-app-oauth-state=([^;]+)", cookie).group(1)
    assert query["state"] == [state]
    return state, cookie


def test_install_and_redirect_store_the_installation_and_answer_with_its_token(oauth_server, web_api):
    settings, server, slack = oauth_server
    state, _ = start_install(server)

    r = httpx.get(
        server.url + "/slack/oauth_redirect",
        params={"code": "the-code", "state": state},
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    assert r.status_code == 200, r.text
    [access] = web_api.wait_for("oauth.v2.access")
    assert access.body["code"] == "the-code"
    assert access.headers["authorization"].startswith("Basic ")  # client id and secret, not in the URL

    engine = make_engine(settings.database_url)
    bots = metadata.tables["slack_bots"]
    with engine.connect() as conn:
        row = conn.execute(select(bots.c.team_id, bots.c.bot_token, bots.c.client_id)).one()
    assert tuple(row) == ("T0INSTALL", "xoxb-installed-token", CLIENT_ID)

    # The installed workspace is now answered, with its own token.
    body = event_body(mention("<@UBOT> who decides the price?"), team_id="T0INSTALL")
    assert slack.post(body, "application/json").status_code == 200
    [post] = web_api.wait_for("chat.postMessage")
    assert post.headers["authorization"] == "Bearer xoxb-installed-token"
    assert "Product Manager" in post.body["text"]


def test_a_state_that_was_never_issued_is_refused(oauth_server, web_api):
    _, server, _ = oauth_server
    r = httpx.get(
        server.url + "/slack/oauth_redirect",
        params={"code": "the-code", "state": "forged"},
        headers={"Cookie": "slack-app-oauth-state=forged"},
    )
    assert r.status_code == 401  # Bolt: invalid_state
    web_api.settle()
    assert web_api.calls("oauth.v2.access") == []


def test_a_state_is_single_use_and_needs_its_cookie(oauth_server, web_api):
    _, server, _ = oauth_server
    state, _ = start_install(server)
    no_cookie = httpx.get(server.url + "/slack/oauth_redirect", params={"code": "c", "state": state})
    assert no_cookie.status_code == 400  # Bolt: invalid_browser
    ok = httpx.get(
        server.url + "/slack/oauth_redirect",
        params={"code": "c", "state": state},
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    # The cookie-less attempt did not burn the state; the proper callback installs once.
    assert ok.status_code == 200
    again = httpx.get(
        server.url + "/slack/oauth_redirect",
        params={"code": "c", "state": state},
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    assert again.status_code == 401  # already consumed
    assert len(web_api.calls("oauth.v2.access")) == 1


def test_events_from_a_workspace_that_never_installed_are_not_answered(oauth_server, web_api, answerer):
    _, _, slack = oauth_server
    body = event_body(mention("<@UBOT> who decides the price?"), team_id="TSTRANGER")
    r = slack.post(body, "application/json")
    assert r.status_code in (200, 401)
    web_api.settle()
    assert web_api.calls("chat.postMessage") == []
    assert answerer.calls == []
