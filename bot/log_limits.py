"""A repeated warning or error from the server machinery is written once per interval, with a count.

Under attack or fd exhaustion the same line (often with a traceback: asyncio's "socket.accept() out of
system resource", uvicorn's "Invalid HTTP request received") can repeat thousands of times a second. Only the
libraries' loggers are limited: whodecides' own lines (one per request at most, e.g. "degraded dedupe") are
what operators alert on and count, so they are all kept.
"""

from __future__ import annotations

import logging
import threading
import time

REPEAT_INTERVAL_SECONDS = 60.0
KEY_CHARS = 60
LIMITED_LOGGERS = ("asyncio", "uvicorn", "microsoft_teams", "slack_bolt", "slack_sdk", "aiohttp", "httpx")


class RepeatLimiter(logging.Filter):
    """Passes the first WARNING+ record of each kind (logger, level, start of the message, exception type), then
    drops the same kind until `interval` has passed; the next one that passes says how many were dropped."""

    def __init__(self, interval: float = REPEAT_INTERVAL_SECONDS, loggers: tuple[str, ...] = LIMITED_LOGGERS) -> None:
        super().__init__()
        self.interval = interval
        self.loggers = loggers
        self._seen: dict[tuple[object, ...], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not _under(record.name, self.loggers):
            return True
        exc_type = record.exc_info[0] if record.exc_info else None
        # The start of the message's first line: asyncio formats its messages itself, with a changing timer
        # or object repr after the stable part ("Exception in callback BaseSelectorEventLoop._start_serving(").
        key = (record.name, record.levelno, str(record.msg).split("\n", 1)[0][:KEY_CHARS], exc_type)
        now = time.monotonic()
        with self._lock:
            last, dropped = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.interval:
                self._seen[key] = (last, dropped + 1)
                return False
            self._seen[key] = (now, 0)
            if len(self._seen) > 10_000:  # bounded: forget the oldest kinds
                for old in list(self._seen)[:5_000]:
                    del self._seen[old]
        if dropped:
            record.msg = f"{record.msg} [{dropped} similar line(s) suppressed in the last {self.interval:.0f} s]"
        return True


def limit_repeats(*logger_names: str, interval: float = REPEAT_INTERVAL_SECONDS) -> RepeatLimiter:
    """Install one limiter on every handler of the root logger and of `logger_names` (e.g. uvicorn's)."""
    limiter = RepeatLimiter(interval)
    for name in ("", *logger_names):
        for handler in logging.getLogger(name or None).handlers:
            handler.addFilter(limiter)
    return limiter


def _under(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)
