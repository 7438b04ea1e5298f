"""Text made storable before it reaches the database, and database errors told apart: input or outage.

SQLite cannot encode a lone surrogate, PostgreSQL refuses a NUL in text: both come from user input (a JSON
escape is enough), and must neither lose a vote nor be reported as "database unavailable".
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DataError, IntegrityError, StatementError

_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: object, limit: int | None = None) -> str:
    """str(value) without NUL characters, lone surrogates replaced by U+FFFD, cut to `limit` characters."""
    text = _SURROGATES.sub("\ufffd", str(value).replace("\x00", ""))
    return text if limit is None else text[:limit]


def is_input_error(exc: BaseException) -> bool:
    """True when the database refused what we sent (so retrying or alerting about an outage is pointless)."""
    if isinstance(exc, DataError | IntegrityError | UnicodeError):
        return True
    if isinstance(exc, StatementError) and isinstance(exc.orig, UnicodeError | ValueError):
        return True
    return isinstance(exc, ValueError)


def describe(exc: BaseException) -> str:
    """The error's class and first line, without the SQL parameters SQLAlchemy appends (user text, ids)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0][:200]
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__
