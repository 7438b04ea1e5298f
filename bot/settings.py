"""The one place the environment is read. An explicit argument beats an env var."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from bot.errors import WhodecidesError

ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    model_path: str | None = None  # None: the bundled all-MiniLM-L6-v2
    rules_path: Path | None = None  # an org's extra/override rules (WHODECIDES_RULES)
    database_url: str = f"sqlite:///{ROOT / 'var' / 'whodecides.db'}"
    port: int = 3000
    host: str = "0.0.0.0"
    # Slack
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None  # base URL of the Web API, e.g. a proxy
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_scopes: str = (
        "commands,app_mentions:read,chat:write,im:history,im:read,im:write,"
        "channels:history,groups:history,mpim:history,assistant:write"
    )
    # Teams (the SDK's own names)
    teams_client_id: str | None = None
    teams_client_secret: str | None = None
    teams_tenant_id: str | None = None
    teams_allow_unauthenticated: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        e = os.environ if env is None else env
        values: dict[str, object] = {}

        def put(name: str, key: str, conv=lambda v: v) -> None:
            raw = e.get(key)
            if raw not in (None, ""):
                values[name] = conv(raw)

        put("corpus_dir", "WHODECIDES_CORPUS", Path)
        put("index_dir", "WHODECIDES_INDEX", Path)
        put("model_path", "WHODECIDES_MODEL")
        put("rules_path", "WHODECIDES_RULES", Path)
        put("database_url", "DATABASE_URL")
        put("host", "HOST")
        put("slack_bot_token", "SLACK_BOT_TOKEN")
        put("slack_signing_secret", "SLACK_SIGNING_SECRET")
        put("slack_app_token", "SLACK_APP_TOKEN")
        put("slack_api_url", "SLACK_API_URL")
        put("slack_client_id", "SLACK_CLIENT_ID")
        put("slack_client_secret", "SLACK_CLIENT_SECRET")
        put("slack_scopes", "SLACK_SCOPES")
        put("teams_client_id", "CLIENT_ID")
        put("teams_client_secret", "CLIENT_SECRET")
        put("teams_tenant_id", "TENANT_ID")
        put("teams_allow_unauthenticated", "TEAMS_ALLOW_UNAUTHENTICATED", _bool)
        raw_port = e.get("PORT")
        if raw_port:
            try:
                values["port"] = int(raw_port)
            except ValueError as exc:
                raise WhodecidesError(f"PORT must be a number, got {raw_port!r}.") from exc
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise TypeError(f"unknown setting {key}")
            if value is not None:
                values[key] = value
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    # --- derived switches -------------------------------------------------
    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret and (self.slack_bot_token or self.slack_oauth_enabled))

    @property
    def slack_oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_client_id and self.teams_client_secret and self.teams_tenant_id)

    def check_slack(self) -> None:
        """Half a Slack configuration is a clear message at start, not a silent no-op."""
        given = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
        }
        if self.slack_oauth_enabled:
            if not self.slack_signing_secret:
                raise WhodecidesError("SLACK_CLIENT_ID/SECRET are set but SLACK_SIGNING_SECRET is missing.")
            return
        if self.slack_client_id or self.slack_client_secret:
            raise WhodecidesError("Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for the OAuth install flow.")
        set_ = [k for k, v in given.items() if v]
        if len(set_) == 1:
            missing = [k for k, v in given.items() if not v]
            raise WhodecidesError(f"Slack is half configured: {set_[0]} is set but {', '.join(missing)} is missing.")

    def check_teams(self) -> None:
        given = {
            "CLIENT_ID": self.teams_client_id,
            "CLIENT_SECRET": self.teams_client_secret,
            "TENANT_ID": self.teams_tenant_id,
        }
        set_ = [k for k, v in given.items() if v]
        if 0 < len(set_) < 3:
            missing = [k for k, v in given.items() if not v]
            raise WhodecidesError(f"Teams is half configured: {', '.join(missing)} missing.")
