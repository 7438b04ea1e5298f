"""Team memory: a scope's agreements (soft-removed), its named role holders and its stored context.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whodecides_agreements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(256), nullable=False),
        sa.Column("decision", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("consult", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_by_name", sa.String(200)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(128)),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_whodecides_agreements_scope", "whodecides_agreements", ["platform", "workspace", "channel"])
    op.create_table(
        "whodecides_role_holders",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("workspace", sa.String(128), primary_key=True),
        sa.Column("channel", sa.String(256), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("set_by", sa.String(128), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "whodecides_channel_context",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("workspace", sa.String(128), primary_key=True),
        sa.Column("channel", sa.String(256), primary_key=True),
        sa.Column("context", sa.String(32), nullable=False),
        sa.Column("set_by", sa.String(128), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("whodecides_channel_context")
    op.drop_table("whodecides_role_holders")
    op.drop_index("ix_whodecides_agreements_scope", "whodecides_agreements")
    op.drop_table("whodecides_agreements")
