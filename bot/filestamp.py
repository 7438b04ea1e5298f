"""Content hashes of files, with their size and mtime so a later check can skip re-reading unchanged files.

A Stamp records what a file was when it was hashed. `same_stat` is the cheap check (one stat call); `digest`
reuses a recorded hash only when the size and the mtime (in ns) are both unchanged, and reads the file otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_BLOCK = 1 << 20


@dataclass(frozen=True)
class Stamp:
    size: int
    mtime_ns: int
    sha256: str

    def to_json(self) -> list[object]:
        return [self.size, self.mtime_ns, self.sha256]

    @classmethod
    def from_json(cls, raw: object) -> Stamp:
        size, mtime_ns, sha = raw  # type: ignore[misc]
        return cls(int(size), int(mtime_ns), str(sha))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def same_stat(path: Path, stamp: Stamp) -> bool:
    """Size and mtime as recorded (a missing file is not the same)."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_size == stamp.size and st.st_mtime_ns == stamp.mtime_ns


def stamp(path: Path, known: Stamp | None = None) -> Stamp:
    """The file's stamp; its recorded hash is reused when size and mtime have not changed."""
    st = path.stat()
    if known is not None and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns:
        return known
    return Stamp(st.st_size, st.st_mtime_ns, sha256_of(path))


def stamps(base: Path, names: Iterable[str], known: Mapping[str, Stamp] | None = None) -> dict[str, Stamp]:
    known = known or {}
    return {name: stamp(base / name, known.get(name)) for name in sorted(names)}


def combined(stamps_: Mapping[str, Stamp]) -> str:
    """One digest over names and contents (not sizes or mtimes: a copy with new mtimes is the same)."""
    h = hashlib.sha256()
    for name in sorted(stamps_):
        h.update(name.encode())
        h.update(b"\0")
        h.update(bytes.fromhex(stamps_[name].sha256))
    return h.hexdigest()
