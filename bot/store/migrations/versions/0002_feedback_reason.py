"""Why a 👎 was given: a reason from a short list, and free text (Slack's feedback modal, Teams' feedback loop).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a table in place the way PostgreSQL can.
    with op.batch_alter_table("whodecides_feedback") as batch:
        batch.add_column(sa.Column("reason", sa.String(32), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("whodecides_feedback") as batch:
        batch.drop_column("comment")
        batch.drop_column("reason")
