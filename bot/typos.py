"""Typo repair before anything reads the question: "who prioritzes the backlgo?" → "… prioritizes the backlog?".

A word is left alone when it is known English (a whole word of the model's WordPiece vocabulary) or a word of
the corpus, the rules or their examples. An unknown word of five letters or more is replaced by the closest
domain word within a small optimal-string-alignment distance (a swap of two letters counts as one edit).
Names of products and tools are unknown words too, but rarely one or two edits away from a domain word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

MIN_LEN = 5  # shorter words have too many neighbours to guess from
ENGLISH_MIN_LEN = 6
_WORD = re.compile(r"[A-Za-z]+")


def max_edits(word: str) -> int:
    return 1 if len(word) < 8 else 2


def wordpiece_words(model_dir: str | Path) -> set[str]:
    """Whole words of the model's vocabulary (no "##" pieces, no [special] tokens)."""
    path = Path(model_dir) / "vocab.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {w for w in lines if w.isalpha() and w.islower()}


class Speller:
    def __init__(self, domain: Iterable[str], known: Iterable[str] = ()) -> None:
        self.domain = sorted({w.lower() for w in domain if w.isalpha() and len(w) >= MIN_LEN - 1})
        self.known = frozenset(w.lower() for w in known) | frozenset(self.domain)
        self._domain = self._by_length(self.domain)
        # Then everyday English, one edit only, for long words ("normaly"): names are rarely that close.
        self._english = self._by_length(w for w in self.known if len(w) >= ENGLISH_MIN_LEN)
        # An answer corrects its message and then its ask, often the same text (an unknown word costs a fuzzy
        # search): a few entries keep one correction per answer, too few to carry over from other answers.
        self._corrected = lru_cache(maxsize=8)(self._correct)

    @staticmethod
    def _by_length(ws: Iterable[str]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for w in sorted(ws):
            out.setdefault(len(w), []).append(w)
        return out

    @staticmethod
    def _closest(word: str, table: dict[int, list[str]], k: int) -> str | None:
        pool = [w for n in range(len(word) - k, len(word) + k + 1) for w in table.get(n, ())]
        hits = process.extract(word, pool, scorer=OSA.distance, score_cutoff=k, limit=8) if pool else []
        # Fewest edits first; among equals the most similar overall ("normaly" → "normally", not "normal").
        best = min(hits, key=lambda h: (h[1], -fuzz.ratio(word, h[0])), default=None)
        return best[0] if best else None

    def fix_word(self, word: str) -> str | None:
        low = word.lower()
        if len(low) < MIN_LEN or low in self.known:
            return None
        found = self._closest(low, self._domain, max_edits(low))
        if found is None and len(low) >= ENGLISH_MIN_LEN:
            found = self._closest(low, self._english, 1)
        return found

    def correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The text with typos repaired, and the (typo, fix) pairs."""
        return self._corrected(text)

    def _correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        fixes: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            fixed = self.fix_word(m.group(0))
            if fixed is None:
                return m.group(0)
            fixes.append((m.group(0), fixed))
            return fixed

        return _WORD.sub(repl, text), tuple(fixes)
