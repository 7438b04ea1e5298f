"""The schema at the newest migration (bot/store/migrations): our tables plus slack_sdk's installation and
OAuth state tables, on one MetaData."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, func

metadata = MetaData()

FEEDBACK_TABLE = "whodecides_feedback"

feedback = Table(
    FEEDBACK_TABLE,
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(128)),
    Column("user_id", String(128), nullable=False),
    Column("question", Text, nullable=False),
    Column("recommendation", String(16), nullable=False),
    Column("vote", String(8), nullable=False),
    Column("answer_id", String(64)),
    # Why a 👎 was given (revision 0002): one of feedback.REASONS, and free text.
    Column("reason", String(32)),
    Column("comment", Text),
)

# The primary key is what makes claim() atomic across processes: the second INSERT of an id does nothing.
event_dedupe = Table(
    "whodecides_event_dedupe",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

# Team memory (revision 0003). A scope is (platform, workspace, channel); channel "" = the whole workspace.
agreements = Table(
    "whodecides_agreements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(128), nullable=False),
    Column("channel", String(256), nullable=False),
    Column("decision", String(200), nullable=False),
    Column("owner", String(16), nullable=False),
    Column("consult", Text),
    Column("note", Text),
    Column("recorded_by", String(128), nullable=False),
    Column("recorded_by_name", String(200)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # Removal is soft: who removed it and when stay, for `agreements export --all`.
    Column("removed_by", String(128)),
    Column("removed_at", DateTime(timezone=True)),
    Index("ix_whodecides_agreements_scope", "platform", "workspace", "channel"),
)

role_holders = Table(
    "whodecides_role_holders",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace", String(128), primary_key=True),
    Column("channel", String(256), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("user_id", String(128), nullable=False),
    Column("name", String(200)),
    Column("set_by", String(128), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

channel_context = Table(
    "whodecides_channel_context",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace", String(128), primary_key=True),
    Column("channel", String(256), primary_key=True),
    Column("context", String(32), nullable=False),
    Column("set_by", String(128), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

SLACK_BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
SLACK_INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
SLACK_OAUTH_STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name

# Same definitions slack_sdk's stores use, so one schema (and its migrations) covers every table.
SQLAlchemyInstallationStore.build_bots_table(metadata, SLACK_BOTS_TABLE)
SQLAlchemyInstallationStore.build_installations_table(metadata, SLACK_INSTALLATIONS_TABLE)
SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SLACK_OAUTH_STATES_TABLE)
