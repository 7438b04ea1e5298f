"""The schema as it was before migrations: feedback, event dedupe, and slack_sdk's installation tables.

A database that today's code created already has these tables; `upgrade_schema` stamps it at this revision
instead of running it. Tables are created only where missing, so a half-created database is completed.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> sa.MetaData:
    # Our two tables, frozen as they were; slack_sdk's tables follow slack_sdk's own definitions.
    md = sa.MetaData()
    sa.Table(
        "whodecides_feedback",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(128)),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("recommendation", sa.String(16), nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("answer_id", sa.String(64)),
    )
    sa.Table(
        "whodecides_event_dedupe",
        md,
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    SQLAlchemyInstallationStore.build_bots_table(md, SQLAlchemyInstallationStore.default_bots_table_name)
    SQLAlchemyInstallationStore.build_installations_table(
        md, SQLAlchemyInstallationStore.default_installations_table_name
    )
    SQLAlchemyOAuthStateStore.build_oauth_states_table(md, SQLAlchemyOAuthStateStore.default_table_name)
    return md


def upgrade() -> None:
    _tables().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _tables().drop_all(op.get_bind(), checkfirst=True)
