"""JWT validation of inbound activities, with CLIENT_ID/CLIENT_SECRET/TENANT_ID set, and no internet.

Tokens are signed with a locally generated RSA key; the SDK's key lookup returns its public half for the
Bot Framework JWKS URL. Every rejected request must get 401 with nothing run: no answer computed, nothing
posted to the connector, no bot token requested.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.results import HEADLINES
from bot.settings import Settings
from tests.teams.conftest import (
    APP_ID,
    APP_SECRET,
    BOT_FRAMEWORK_KEYS_URL,
    KEY_ID,
    TENANT_ID,
    EntraTokens,
    KeyLookup,
    NetworkGuard,
    TeamsServer,
    claims,
    make_token,
    message,
    teams_only_api,
)


@pytest.fixture
def server(signed_server: TeamsServer) -> TeamsServer:
    return signed_server


def test_a_valid_token_is_accepted_and_the_reply_carries_the_bot_token(
    server: TeamsServer,
    signing_key: rsa.RSAPrivateKey,
    bot_framework_keys: KeyLookup,
    entra_tokens: EntraTokens,
    no_internet: NetworkGuard,
) -> None:
    activity = message(server.connector.url, "who decides the price?")
    response = server.post(activity, token=make_token(signing_key, service_url=server.connector.url))
    assert response.status_code == 200
    assert server.answerer.calls == ["who decides the price?"]
    [reply] = server.connector.messages
    [card] = reply.cards()
    assert card["body"][0]["text"] == HEADLINES["PM"]
    # Outgoing calls carry the app's token, obtained with the configured secret from the configured tenant.
    assert all(p.authorization == f"Bearer {entra_tokens.token}" for p in server.connector.posted)
    assert entra_tokens.clients == [
        {
            "client_id": APP_ID,
            "secret": APP_SECRET,
            "authority": f"https://login.microsoftonline.com/{TENANT_ID}",
        }
    ]
    assert set(map(tuple, entra_tokens.scopes)) == {("https://api.botframework.com/.default",)}
    assert set(bot_framework_keys.fetched) == {BOT_FRAMEWORK_KEYS_URL}
    assert no_internet.attempts == []


def test_the_service_url_claim_may_differ_by_a_trailing_slash(
    server: TeamsServer, signing_key: rsa.RSAPrivateKey
) -> None:
    token = make_token(signing_key, service_url=server.connector.url + "/")
    assert server.post(message(server.connector.url, "who decides the price?"), token=token).status_code == 200
    assert len(server.connector.messages) == 1


def _unsigned(service_url: str) -> str:
    return jwt.encode(claims(service_url=service_url), None, algorithm="none", headers={"kid": KEY_ID})


BAD_TOKENS: dict[str, Callable[[rsa.RSAPrivateKey, rsa.RSAPrivateKey, str], dict[str, str]]] = {
    "wrong audience": lambda key, _o, url: {
        "Authorization": "Bearer " + make_token(key, service_url=url, audience="some-other-bot")
    },
    "wrong issuer": lambda key, _o, url: {
        "Authorization": "Bearer " + make_token(key, service_url=url, issuer="https://evil.example.com")
    },
    "expired": lambda key, _o, url: {
        # Well past the SDK's 5-minute clock-skew leeway.
        "Authorization": "Bearer " + make_token(key, service_url=url, expires_in=-3600)
    },
    "wrong key": lambda _k, other, url: {"Authorization": "Bearer " + make_token(other, service_url=url)},
    "unknown key id": lambda key, _o, url: {
        "Authorization": "Bearer " + make_token(key, service_url=url, kid="not-a-published-key")
    },
    "missing header": lambda _k, _o, _url: {},
    "bearer with no token": lambda _k, _o, _url: {"Authorization": "Bearer"},
    "non-Bearer scheme": lambda key, _o, url: {"Authorization": "Basic " + make_token(key, service_url=url)},
    "lower-case bearer": lambda key, _o, url: {"Authorization": "bearer " + make_token(key, service_url=url)},
    "garbage token": lambda _k, _o, _url: {"Authorization": "Bearer not.a.jwt"},
    "unsigned (alg none)": lambda _k, _o, url: {"Authorization": "Bearer " + _unsigned(url)},
    "serviceUrl mismatch": lambda key, _o, _url: {
        "Authorization": "Bearer " + make_token(key, service_url="https://smba.trafficmanager.net/teams/")
    },
    "serviceUrl claim missing": lambda key, _o, _url: {"Authorization": "Bearer " + make_token(key, service_url=None)},
    "Entra issuer, keys not ours": lambda key, _o, url: {
        "Authorization": "Bearer "
        + make_token(
            key,
            service_url=url,
            issuer=f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
            tid=TENANT_ID,
            azp="5a807f24-c9de-44ee-a3a7-329e88a00ffc",
        )
    },
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_a_bad_token_gets_401_and_nothing_runs(
    server: TeamsServer,
    signing_key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
    entra_tokens: EntraTokens,
    no_internet: NetworkGuard,
    case: str,
) -> None:
    headers = BAD_TOKENS[case](signing_key, other_key, server.connector.url)
    response = server.post(message(server.connector.url, "who decides the price?"), headers=headers)
    assert response.status_code == 401
    assert "Traceback" not in response.text
    assert server.answerer.calls == []
    assert server.connector.posted == []
    assert entra_tokens.scopes == []
    assert no_internet.attempts == []


def test_a_good_token_for_a_channel_mention_and_a_bad_one_side_by_side(
    server: TeamsServer, signing_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    text = "<at>whodecides</at> who orders the backlog?"
    bad = server.post(
        message(server.connector.url, text, scope="channel", mention=True),
        token=make_token(other_key, service_url=server.connector.url),
    )
    good = server.post(
        message(server.connector.url, text, scope="channel", mention=True),
        token=make_token(signing_key, service_url=server.connector.url),
    )
    assert (bad.status_code, good.status_code) == (401, 200)
    assert server.answerer.calls == ["who orders the backlog?"]
    assert len(server.connector.messages) == 1


def test_allow_unauthenticated_with_credentials_skips_validation_and_warns(
    make_server: Callable[..., TeamsServer],
    authenticated_settings: Settings,
    entra_tokens: EntraTokens,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.teams.app"):
        server = make_server(authenticated_settings.with_(teams_allow_unauthenticated=True))
    assert "TEAMS_ALLOW_UNAUTHENTICATED=true" in caplog.text
    assert server.post(message(server.connector.url, "who decides the price?")).status_code == 200
    assert len(server.connector.messages) == 1


# ---------------------------------------------------------------- no network at start
def test_with_credentials_the_server_starts_with_no_network(
    make_server: Callable[..., TeamsServer],
    authenticated_settings: Settings,
    entra_tokens: EntraTokens,
    no_internet: NetworkGuard,
) -> None:
    """No key lookup and no token request at start: nothing Microsoft is reachable, and nothing is tried.

    The key lookup is NOT patched here. The first authenticated request then tries Bot Framework's key URL,
    is refused by the network, and fails closed: 401, nothing run.
    """
    server = make_server(authenticated_settings)
    assert no_internet.attempts == []
    assert entra_tokens.clients == []

    unauthenticated = server.post(message(server.connector.url, "who decides the price?"))
    assert unauthenticated.status_code == 401
    assert no_internet.attempts == []

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = server.post(
        message(server.connector.url, "who decides the price?"),
        token=make_token(key, service_url=server.connector.url),
    )
    assert response.status_code == 401
    assert any("botframework.com" in str(a) for a in no_internet.attempts)
    assert server.answerer.calls == [] and server.connector.posted == []


def test_half_a_teams_configuration_is_a_clear_error(
    make_server: Callable[..., TeamsServer],
) -> None:
    from bot.errors import WhodecidesError

    with pytest.raises(WhodecidesError, match="TENANT_ID"):
        make_server(Settings(teams_client_id=APP_ID, teams_client_secret=APP_SECRET), api_factory=teams_only_api)
