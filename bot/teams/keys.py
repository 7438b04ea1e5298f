"""Signing keys for inbound Teams tokens: fetched off the event loop, bounded, cached, with a cooldown.

The Teams SDK validates a bearer token with PyJWT's PyJWKClient, whose key fetch is a blocking urllib call
made inside the async request handler: while it runs (up to 30 s against a stalled network) nothing else in
the process is served, /healthz included, and a failed fetch is retried by the very next token. Here the SDK's
validator keeps doing the checks (signature, issuer, audience, expiry, serviceUrl) but reads its keys from a
client primed with a key set that KeyFetcher got in a worker thread:

- one fetch per key URL at a time (concurrent tokens wait for the same fetch), bounded by a timeout;
- the key set cached for KEYS_MAX_AGE_SECONDS;
- after any fetch attempt, no new fetch of that URL for KEY_FETCH_COOLDOWN_SECONDS: tokens are refused at once
  meanwhile if there are no keys, or checked against the cached keys (an unknown key id cannot force a fetch).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
from microsoft_teams.apps.auth import InboundActivityTokenValidator, TokenValidator

log = logging.getLogger(__name__)

KEY_FETCH_TIMEOUT_SECONDS = 5.0
KEY_FETCH_COOLDOWN_SECONDS = 60.0
KEYS_MAX_AGE_SECONDS = 6 * 3600.0

JwkSet = dict[str, Any]


class KeysUnavailable(jwt.PyJWKClientConnectionError):
    """No signing keys to check a token with (fetch failed, timed out, or in its cooldown)."""


class KeyFetcher:
    def __init__(
        self,
        *,
        timeout: float = KEY_FETCH_TIMEOUT_SECONDS,
        cooldown: float = KEY_FETCH_COOLDOWN_SECONDS,
        max_age: float = KEYS_MAX_AGE_SECONDS,
    ) -> None:
        self.timeout = timeout
        self.cooldown = cooldown
        self.max_age = max_age
        self._sets: dict[str, tuple[float, JwkSet]] = {}
        self._attempted: dict[str, float] = {}
        self._inflight: dict[str, asyncio.Future[JwkSet]] = {}
        # Its own threads: a stalled fetch never takes a thread the answers or the database need.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="jwks")

    async def jwk_set(self, uri: str, kid: str | None) -> JwkSet:
        now = time.monotonic()
        cached = self._sets.get(uri)
        if cached and now - cached[0] < self.max_age and (kid is None or _has_kid(cached[1], kid)):
            return cached[1]
        future = self._inflight.get(uri)
        if future is None:
            attempted = self._attempted.get(uri)
            if attempted is not None and now - attempted < self.cooldown:
                if cached:
                    return cached[1]  # an unknown kid is checked against the keys we have, and fails
                raise KeysUnavailable(f"no signing keys from {uri} (fetch failed; cooldown {self.cooldown:.0f} s)")
            self._attempted[uri] = now
            future = asyncio.ensure_future(self._fetch(uri))
            self._inflight[uri] = future
            future.add_done_callback(lambda _: self._inflight.pop(uri, None))
        return await asyncio.shield(future)

    async def _fetch(self, uri: str) -> JwkSet:
        loop = asyncio.get_running_loop()
        try:
            data = await asyncio.wait_for(loop.run_in_executor(self._pool, self._fetch_blocking, uri), self.timeout)
        except Exception as exc:  # any failure means the same: no new keys
            reason = str(exc) or type(exc).__name__
            cached = self._sets.get(uri)
            log.warning(
                "Teams: fetching signing keys from %s failed (%s); %s for %.0f s (cooldown)",
                uri,
                reason,
                "using the cached keys" if cached else "tokens are refused",
                self.cooldown,
            )
            if cached:
                return cached[1]
            raise KeysUnavailable(f"no signing keys from {uri}: {reason}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise KeysUnavailable(f"{uri} did not return a JWK set")
        self._sets[uri] = (time.monotonic(), data)
        return data

    def _fetch_blocking(self, uri: str) -> JwkSet:
        return jwt.PyJWKClient(uri, cache_jwk_set=False, timeout=self.timeout).fetch_data()


def _has_kid(jwk_set: JwkSet, kid: str) -> bool:
    return any(isinstance(k, dict) and k.get("kid") == kid for k in jwk_set.get("keys", []))


class PrimedJwksClient(jwt.PyJWKClient):
    """A PyJWKClient that never touches the network: it serves the key set it was last primed with."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri, cache_jwk_set=False)
        self._primed: JwkSet | None = None

    def prime(self, jwk_set: JwkSet) -> None:
        self._primed = jwk_set

    def fetch_data(self) -> Any:
        if self._primed is None:
            raise KeysUnavailable(f"no signing keys fetched from {self.uri} yet")
        return self._primed


def _primed_client(validator: TokenValidator) -> PrimedJwksClient:
    client = validator._jwks_client  # the SDK keeps it here
    if not isinstance(client, PrimedJwksClient):
        client = PrimedJwksClient(validator.options.jwks_uri)
        validator._jwks_client = client
    return client


class NonBlockingTokenValidator(InboundActivityTokenValidator):
    """The SDK's inbound validator with its keys fetched by a KeyFetcher. Entra-issued tokens are accepted
    only from our own tenant, so a token cannot make the bot fetch keys for any tenant it names."""

    def __init__(self, app_id: str, tenant_id: str | None, fetcher: KeyFetcher, **kwargs: Any) -> None:
        super().__init__(app_id, **kwargs)
        self._tenant_id = tenant_id
        self._fetcher = fetcher
        _primed_client(self._service_validator)

    async def validate_token(self, raw_token: str, service_url: str | None = None) -> dict[str, Any]:
        if not raw_token:
            raise jwt.InvalidTokenError("No token provided")
        header = jwt.get_unverified_header(raw_token)
        claims = jwt.decode(raw_token, options={"verify_signature": False})
        if self._is_entra_issuer(claims.get("iss")):
            tenant = claims.get("tid")
            if not self._tenant_id or tenant != self._tenant_id:
                raise jwt.InvalidTokenError("Entra token from another tenant")
            validator = self._get_entra_validator(tenant)
        else:
            validator = self._service_validator
        client = _primed_client(validator)
        kid = header.get("kid")
        client.prime(await self._fetcher.jwk_set(client.uri, kid if isinstance(kid, str) else None))
        return await super().validate_token(raw_token, service_url)


def install(app: Any, tenant_id: str | None, fetcher: KeyFetcher | None = None) -> None:
    """Swap the Teams App's inbound validator (set up by App.initialize) for the non-blocking one."""
    server = app.server
    current = server._token_validator  # set by HttpServer.initialize; None when auth is off
    if current is None:
        return
    server._token_validator = NonBlockingTokenValidator(
        current._app_id,
        tenant_id,
        fetcher or KeyFetcher(),
        cloud=current._cloud,
    )
