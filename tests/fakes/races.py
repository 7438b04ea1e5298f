"""Races on purpose: the same work in several threads, released at the same instant by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def race(work: Callable[[T], R], items: Iterable[T], *, timeout: float = 120) -> list[R]:
    """work(item) for every item, each in its own thread, all starting together; results in `items` order.

    The first exception raised in a thread is raised here, and a thread still running after `timeout`
    seconds fails the test instead of hanging it.
    """
    items = list(items)
    barrier = threading.Barrier(len(items))
    results: list[R | None] = [None] * len(items)
    errors: list[BaseException] = []

    def run(i: int, item: T) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(item)
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, item), daemon=True) for i, item in enumerate(items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    stuck = sum(t.is_alive() for t in threads)
    assert stuck == 0, f"{stuck} of {len(threads)} racing threads still running after {timeout} s"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value] - every slot was filled: no errors, none stuck
