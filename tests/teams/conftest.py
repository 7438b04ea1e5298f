"""Fixtures for the Teams contract tests: a real server over HTTP, a local connector, keys and tokens.

Nothing here reaches Microsoft: a guard refuses every non-loopback connection (and records the attempt),
the SDK's key lookup (PyJWT's JWKS fetch) returns a locally generated RSA key, and the Entra ID token
request (MSAL's ConfidentialClientApplication, which the SDK creates on the first reply) is answered locally.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from bot.settings import Settings
from bot.store import FeedbackStore, make_engine, upgrade_schema
from tests.fakes.answerer import FakeAnswerer
from tests.fakes.teams_connector import TeamsConnector

APP_ID = "9d8c7b6a-1111-4222-8333-444455556666"
APP_SECRET = "local-test-secret"
TENANT_ID = "72f988bf-0000-4000-8000-00000000abcd"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_KEYS_URL = "https://login.botframework.com/v1/.well-known/keys"
KEY_ID = "local-test-key"

# Environment variables the Teams SDK reads by itself; tests must not inherit them from the shell.
SDK_ENV = (
    "CLIENT_ID",
    "CLIENT_SECRET",
    "TENANT_ID",
    "SERVICE_URL",
    "CLOUD",
    "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS",
    "MANAGED_IDENTITY_CLIENT_ID",
    "TEAMS_ALLOW_UNAUTHENTICATED",
)


@pytest.fixture(autouse=True)
def _clean_sdk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SDK_ENV:
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- no internet
@dataclass
class NetworkGuard:
    attempts: list[object] = field(default_factory=list)


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    """Refuse (and record) every connection or DNS lookup that is not loopback."""
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: object) -> None:
        if isinstance(address, tuple) and address and address[0] not in _LOOPBACK:
            guard.attempts.append(address)
            raise OSError(f"test network guard: no connection to {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in _LOOPBACK:
            guard.attempts.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no DNS for {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return guard


# ---------------------------------------------------------------- collaborators
@pytest.fixture
def connector() -> Iterator[TeamsConnector]:
    with TeamsConnector() as c:
        yield c


@pytest.fixture
def answerer() -> FakeAnswerer:
    return FakeAnswerer()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'whodecides.db'}"


@pytest.fixture
def feedback_store(database_url: str) -> FeedbackStore:
    engine = make_engine(database_url)
    upgrade_schema(engine)
    return FeedbackStore(engine)


# ---------------------------------------------------------------- a real server
@contextlib.contextmanager
def serve(api: FastAPI) -> Iterator[str]:
    """Run `api` under uvicorn on a free loopback port, in a thread; yield its base URL."""
    config = uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="teams-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def build_api(settings: Settings, answerer: Any, feedback_store: FeedbackStore) -> FastAPI:
    """The app `whodecides serve` runs (bot.server.build_server), on the test's database."""
    from bot.server import build_server

    return build_server(settings, answerer, engine=feedback_store.engine, feedback_store=feedback_store)


def teams_only_api(settings: Settings, answerer: Any, feedback_store: FeedbackStore) -> FastAPI:
    """A bare FastAPI app with only mount_teams on it, whatever the settings say."""
    from bot.runtime import build_runtime
    from bot.teams.app import mount_teams

    api = FastAPI()
    runtime = build_runtime(settings, answerer=answerer, feedback_store=feedback_store, engine=feedback_store.engine)
    mount_teams(api, settings, runtime.conversation)
    return api


@dataclass
class TeamsServer:
    url: str
    connector: TeamsConnector
    answerer: FakeAnswerer
    feedback_store: FeedbackStore
    client: httpx.Client

    def post(self, activity: dict[str, Any], *, token: str | None = None, headers: dict | None = None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        return self.client.post(f"{self.url}/api/messages", json=activity, headers=hdrs)


@pytest.fixture
def make_server(
    connector: TeamsConnector, answerer: FakeAnswerer, feedback_store: FeedbackStore
) -> Iterator[Callable[..., TeamsServer]]:
    stack = contextlib.ExitStack()

    def make(
        settings: Settings,
        *,
        api_factory: Callable[..., FastAPI] = build_api,
        store: FeedbackStore | None = None,
        with_answerer: Any = None,
    ) -> TeamsServer:
        store = store or feedback_store
        chosen = with_answerer or answerer
        api = api_factory(settings, chosen, store)
        url = stack.enter_context(serve(api))
        client = stack.enter_context(httpx.Client(timeout=30))
        return TeamsServer(url, connector, chosen, store, client)

    with stack:
        yield make


@pytest.fixture
def unauthenticated_server(make_server: Callable[..., TeamsServer]) -> TeamsServer:
    return make_server(Settings(teams_allow_unauthenticated=True))


# ---------------------------------------------------------------- keys, tokens, Entra ID
@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class KeyLookup:
    fetched: list[str] = field(default_factory=list)


@pytest.fixture
def bot_framework_keys(monkeypatch: pytest.MonkeyPatch, signing_key: rsa.RSAPrivateKey) -> KeyLookup:
    """Patch the SDK's key lookup: PyJWKClient.fetch_data returns our public key for Bot Framework's JWKS URL.

    Any other key URL (an Entra ID tenant's, say) is unreachable, as it would be without the internet.
    """
    lookup = KeyLookup()
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    public.update({"kid": KEY_ID, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]})

    def fetch_data(self: jwt.PyJWKClient) -> Any:
        lookup.fetched.append(self.uri)
        if self.uri != BOT_FRAMEWORK_KEYS_URL:
            raise jwt.PyJWKClientConnectionError(f"no route to {self.uri} in tests")
        return {"keys": [public]}

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", fetch_data)
    return lookup


def claims(
    *,
    service_url: str | None,
    audience: str = APP_ID,
    issuer: str = BOT_FRAMEWORK_ISSUER,
    expires_in: int = 3600,
    **extra: Any,
) -> dict[str, Any]:
    """The claims of a Bot Framework connector token (serviceurl is what binds it to the activity)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + expires_in,
    }
    if service_url is not None:
        payload["serviceurl"] = service_url
    return {**payload, **extra}


def make_token(key: rsa.RSAPrivateKey, *, kid: str = KEY_ID, **claim_args: Any) -> str:
    return jwt.encode(claims(**claim_args), key, algorithm="RS256", headers={"kid": kid})


@dataclass
class EntraTokens:
    """Stands in for MSAL's client-credentials call to login.microsoftonline.com."""

    clients: list[dict[str, Any]] = field(default_factory=list)
    scopes: list[list[str]] = field(default_factory=list)
    token: str = ""


@pytest.fixture
def entra_tokens(monkeypatch: pytest.MonkeyPatch) -> EntraTokens:
    # The bot token is a JWT because the SDK decodes it (unverified) to read its expiry.
    tokens = EntraTokens(
        token=jwt.encode(
            {"aud": "https://api.botframework.com", "appid": APP_ID, "exp": int(time.time()) + 3600},
            "not-a-real-signing-secret-but-long-enough",
            algorithm="HS256",
        )
    )

    class LocalConfidentialClient:
        def __init__(self, client_id: str, client_credential: Any = None, authority: str | None = None, **kw: Any):
            tokens.clients.append({"client_id": client_id, "secret": client_credential, "authority": authority})

        def acquire_token_for_client(self, scopes: list[str], **kw: Any) -> dict[str, Any]:
            tokens.scopes.append(list(scopes))
            return {"access_token": tokens.token, "token_type": "Bearer", "expires_in": 3600}

    import microsoft_teams.apps.token_manager as token_manager

    monkeypatch.setattr(token_manager, "ConfidentialClientApplication", LocalConfidentialClient)
    return tokens


@pytest.fixture
def authenticated_settings() -> Settings:
    return Settings(teams_client_id=APP_ID, teams_client_secret=APP_SECRET, teams_tenant_id=TENANT_ID)


@pytest.fixture
def signed_server(
    make_server: Callable[..., TeamsServer],
    authenticated_settings: Settings,
    bot_framework_keys: KeyLookup,
    entra_tokens: EntraTokens,
) -> TeamsServer:
    """A server with credentials: every activity must carry a valid Bot Framework token."""
    return make_server(authenticated_settings)


# ---------------------------------------------------------------- activities, as Teams sends them
BOT = {"id": f"28:{APP_ID}", "name": "whodecides"}
ANN = {"id": "29:1ann-teams-user-id", "name": "Ann Example", "aadObjectId": "aad-ann-0001"}
CHANNEL = "19:general0channel0id@thread.tacv2"
TEAM = "19:team0id@thread.tacv2"


def _ids() -> str:
    return str(int(time.time() * 1000) + uuid.uuid4().int % 1000)


def message(
    service_url: str,
    text: str | None,
    *,
    scope: str = "personal",
    mention: bool = False,
    value: Any = None,
    activity_id: str | None = None,
    reply_to: str | None = None,
) -> dict[str, Any]:
    """A Bot Framework message activity as Teams posts it to /api/messages."""
    activity_id = activity_id or _ids()
    entities: list[dict[str, Any]] = [
        {
            "type": "clientInfo",
            "locale": "en-US",
            "country": "US",
            "platform": "Web",
            "timezone": "Europe/Paris",
        }
    ]
    if mention:
        entities.insert(0, {"type": "mention", "mentioned": dict(BOT), "text": f"<at>{BOT['name']}</at>"})
    conversation, channel_data = _conversation(scope, reply_to or activity_id)
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id,
        "timestamp": "2026-11-02T10:00:00.000Z",
        "localTimestamp": "2026-11-02T11:00:00.000+01:00",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": dict(ANN),
        "conversation": conversation,
        "recipient": dict(BOT),
        "textFormat": "plain",
        "locale": "en-US",
        "entities": entities,
        "channelData": channel_data,
    }
    if text is not None:
        activity["text"] = text
    if reply_to is not None:
        activity["replyToId"] = reply_to
    if value is not None:
        activity["value"] = value
        activity["channelData"] = {
            **channel_data,
            "source": {"name": "message"},
            "legacy": {"replyToId": reply_to},
        }
    return activity


def _conversation(scope: str, root: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(conversation, channelData) of a personal chat, a group chat or a channel thread, as Teams sends them."""
    channel_data: dict[str, Any] = {"tenant": {"id": TENANT_ID}}
    if scope == "personal":
        return {"conversationType": "personal", "tenantId": TENANT_ID, "id": "a:1personal-chat-id"}, channel_data
    if scope == "groupChat":
        conversation = {
            "isGroup": True,
            "conversationType": "groupChat",
            "tenantId": TENANT_ID,
            "id": "19:group0chat0id@thread.v2",
        }
        return conversation, channel_data
    channel_data.update(
        {"teamsChannelId": CHANNEL, "teamsTeamId": TEAM, "channel": {"id": CHANNEL}, "team": {"id": TEAM}}
    )
    conv_id = f"{CHANNEL};messageid={root}" if root else CHANNEL
    return {"isGroup": True, "conversationType": "channel", "tenantId": TENANT_ID, "id": conv_id}, channel_data


def invoke(service_url: str, name: str, value: Any, *, scope: str = "personal", **extra: Any) -> dict[str, Any]:
    """An invoke activity as Teams posts it (the HTTP response is the invoke's response)."""
    activity = message(service_url, None, scope=scope, reply_to=extra.get("replyToId"))
    del activity["textFormat"]
    activity.update({"type": "invoke", "name": name, "value": value, **extra})
    return activity


def feedback_invoke(
    service_url: str, reaction: str, feedback: str = "", *, reply_to: str, scope: str = "personal"
) -> dict[str, Any]:
    """Teams' feedback loop: 👍/👎 (and the dialog's text, JSON in a string) on the bot message `reply_to`."""
    value = {"actionName": "feedback", "actionValue": {"reaction": reaction, "feedback": feedback}}
    return invoke(service_url, "message/submitAction", value, scope=scope, replyToId=reply_to)
