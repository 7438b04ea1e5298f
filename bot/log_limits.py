"""A repeated warning or error is written once per interval, with a count, instead of flooding the log.

Under attack or fd exhaustion the same line (often with a traceback: asyncio's "socket.accept() out of
system resource", uvicorn's "Invalid HTTP request received") can repeat thousands of times a second.
"""

from __future__ import annotations

import logging
import threading
import time

REPEAT_INTERVAL_SECONDS = 60.0
KEY_CHARS = 60


class RepeatLimiter(logging.Filter):
    """Passes the first WARNING+ record of each kind (logger, level, start of the message, exception type), then
    drops the same kind until `interval` has passed; the next one that passes says how many were dropped."""

    def __init__(self, interval: float = REPEAT_INTERVAL_SECONDS) -> None:
        super().__init__()
        self.interval = interval
        self._seen: dict[tuple[object, ...], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
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
