"""Lines of a file read on demand through a memory map and an array of their byte offsets.

A table is two files: the lines (UTF-8, each ending in a newline) and `<name>.offsets.npy`, n + 1 int64 byte
offsets. Reading line i slices the map, so a million chunks cost no Python objects until one is asked for, and
the maps keep the files' old contents readable if the index folder is replaced while a server runs.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def offsets_path(path: Path) -> Path:
    return path.with_name(path.name + ".offsets.npy")


def write_lines(path: Path, lines: Iterable[bytes]) -> int:
    """Write the lines (without their newlines) and their offsets; returns how many."""
    offsets = [0]
    with open(path, "wb") as f:
        for line in lines:
            if b"\n" in line:
                raise ValueError("a table line cannot hold a newline")
            f.write(line)
            f.write(b"\n")
            offsets.append(offsets[-1] + len(line) + 1)
    np.save(offsets_path(path), np.asarray(offsets, dtype=np.int64))
    return len(offsets) - 1


class LineTable:
    """Read-only and thread-safe: nothing but slicing after construction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._offsets = np.load(offsets_path(self.path), mmap_mode="r", allow_pickle=False).view(np.ndarray)
        if self._offsets.ndim != 1 or len(self._offsets) < 1 or self._offsets.dtype != np.int64:
            raise ValueError(f"{offsets_path(self.path).name} is not a table of offsets")
        size = os.path.getsize(self.path)
        if int(self._offsets[-1]) != size:
            raise ValueError(f"{self.path.name} is {size} bytes but its offsets say {int(self._offsets[-1])}")
        if size:
            with open(self.path, "rb") as f:
                self._data: mmap.mmap | bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        else:
            self._data = b""  # mmap cannot map an empty file

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def line(self, i: int) -> bytes:
        if not 0 <= i < len(self):
            raise IndexError(f"line {i} of {len(self)}")
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        return self._data[start : end - 1]

    def find(self, key: bytes) -> int:
        """Position of `key` in a table whose lines are sorted (bytewise), or -1."""
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.line(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self) and self.line(lo) == key else -1
