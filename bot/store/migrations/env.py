"""Alembic's entry point. Always run from bot.store.db.upgrade_schema, on a connection it hands over (under the
replicas' advisory lock on PostgreSQL), never with a URL of its own: the environment is read in one place."""

from __future__ import annotations

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
)
with context.begin_transaction():
    context.run_migrations()
