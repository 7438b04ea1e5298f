"""Alembic migrations of the whodecides schema. `bot.store.db.upgrade_schema` runs them; see env.py."""
