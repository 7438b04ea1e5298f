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
# English builds words from known ones: "rewriting", "deprioritized", "unshipped" are not typos of "writing",
# "prioritized", "shipped" (repairing them would turn the meaning around).
_PREFIXES = ("re", "un", "de", "pre", "mis", "dis", "non", "over", "under", "co", "sub", "out", "up", "multi")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ment", "ments", "ness", "able", "ation", "ations")
MIN_STEM = 5  # what is left after a prefix: shorter rests ("reoder" → "oder") are more likely typos


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


def _regular(base: str, suffix: str) -> bool:
    """English spelling of the ending: "-es" after s, x, z, ch, sh or o ("ownes" is no form of "own"); no "-s"
    after a consonant and y ("strategys")."""
    if suffix == "es":
        return base.endswith(("s", "x", "z", "ch", "sh", "o"))
    if suffix == "s":
        return not (base.endswith("y") and base[-2:-1] not in "aeiou")
    return True


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
        if len(low) < MIN_LEN or low in self.known or self._plural(low):
            return None
        found = self._closest(low, self._domain, max_edits(low))
        if found is None and len(low) >= ENGLISH_MIN_LEN:
            found = self._closest(low, self._english, 1)
        # A word built from a known one is kept unless a single slip explains it ("desings" is "designs").
        if found is not None and OSA.distance(low, found) > 1 and self._derived(low):
            return None
        return found

    def _inflected(self, word: str) -> bool:
        """A known word, or one with a regular ending: "rewriting" (rewrite), "copies" (copy), "reshuffles"."""
        if word in self.known:
            return True
        for suffix in _SUFFIXES:
            base = word[: -len(suffix)]
            if not word.endswith(suffix) or len(base) < MIN_STEM - 1 or not _regular(base, suffix):
                continue
            bases = (base, base + "e", base[:-1] + "y" if base.endswith("i") else "")
            if any(b in self.known for b in bases if b):
                return True
        return False

    def _plural(self, word: str) -> bool:
        """ "startups", "boxes": a known word's plural is that word, not a typo of another one."""
        return any(
            word.endswith(e) and _regular(word[: -len(e)], e) and word[: -len(e)] in self.known for e in ("s", "es")
        )

    def _derived(self, word: str) -> bool:
        """Built from a known word by a prefix and/or a regular ending: not a typo."""
        if self._inflected(word):
            return True
        return any(
            word.startswith(p) and len(word) - len(p) >= MIN_STEM and self._inflected(word[len(p) :]) for p in _PREFIXES
        )

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
