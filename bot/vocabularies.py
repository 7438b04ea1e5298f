"""The word sets an Answerer derives from its rules, its index and its model, cached beside the index.

Deriving them (every rule text and example split and stemmed, the corpus's words stemmed, the model's WordPiece
vocabulary read) took ~80 ms of every cold `whodecides ask`; read back from one JSON file it takes a few. The
cache is keyed by all of its inputs: the rule book's digest, the index's word lists (their content hashes from
the manifest), the model's vocabulary file, the name lists, and the code that derives the sets (by size and
mtime). Any change derives them again; a cache that cannot be written only costs the derivation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.index import STEMS, WORDS, Index
from bot.router import EVERYDAY_NAMES, known_words
from bot.rules import RuleBook
from bot.technical import TERMS_FILE
from bot.textutil import stem, words
from bot.typos import wordpiece_words

log = logging.getLogger(__name__)

CACHE = "vocabularies.json"
FORMAT = 1
# The modules whose code decides what lands in the sets: an edit to any of them derives them again.
_CODE = ("bot.textutil", "bot.router", "bot.technical", "bot.typos", "bot.vocabularies")


@dataclass(frozen=True)
class Vocabularies:
    domain: frozenset[str]  # the words typos are repaired towards: the corpus's, the rules' and their examples'
    english: frozenset[str]  # stems that make a question English: the corpus's, the triggers', the examples'
    known: frozenset[str]  # words the rules write in lower case, and technical terms: the router masks the rest
    wordpiece: frozenset[str]  # whole words of the model's vocabulary: known English, never "repaired"


def derive(index: Index, rules: RuleBook, model: str | Path | None) -> Vocabularies:
    domain = set(index.words)  # every word of the chunks, collected at build time
    for r in (*rules.rules, *rules.outside):
        domain.update(w for text in (r.area, *r.trigger_texts, *r.examples) for w in words(text))
    english = set(index.stems)  # every stemmed word of the chunks, collected at build time
    for r in rules.rules:
        english.update(t for trig in r.triggers for t in trig)
    # The examples are how people write at work: "postgres or mongo for the analytics store?" is English.
    for item in (*rules.rules, *rules.outside):
        english.update(stem(w) for ex in item.examples for w in words(ex))
    pieces = wordpiece_words(model) if model is not None else set()
    return Vocabularies(frozenset(domain), frozenset(english), known_words(rules), frozenset(pieces))


def load_or_derive(folder: Path, index: Index, rules: RuleBook, model: str | Path) -> Vocabularies:
    """From `folder`'s cache when its key matches, else derived (and cached for the next start)."""
    key = _key(index, rules, model)
    path = Path(folder) / CACHE
    cached = _load(path, key)
    if cached is not None:
        return cached
    vocab = derive(index, rules, model)
    _save(path, key, vocab)
    return vocab


def _key(index: Index, rules: RuleBook, model: str | Path) -> str:
    files = index.manifest.files
    parts = [
        f"format {FORMAT}",
        f"rules {rules.digest}",
        *(f"{name} {files[name].sha256 if name in files else 'none'}" for name in (WORDS, STEMS)),
        *(f"{p} {_stat(p)}" for p in (Path(model) / "vocab.txt", TERMS_FILE, EVERYDAY_NAMES)),
        *(f"{m} {_stat(Path(str(sys.modules[m].__file__)))}" for m in _CODE),
    ]
    if index.folder is None or not files:  # only built, never saved: nothing identifies its words
        parts.append(f"unsaved {id(index)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _stat(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "missing"
    return f"{st.st_size}:{st.st_mtime_ns}"


def _load(path: Path, key: str) -> Vocabularies | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("key") != key:
            return None
        return Vocabularies(*(frozenset(raw[name]) for name in ("domain", "english", "known", "wordpiece")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("the vocabulary cache %s is unreadable (%s): deriving it again", path, exc)
        return None


def _save(path: Path, key: str, vocab: Vocabularies) -> None:
    raw = {"key": key} | {name: sorted(getattr(vocab, name)) for name in ("domain", "english", "known", "wordpiece")}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(raw, f, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)  # atomic: replicas starting together never read half a file
    except OSError as exc:
        log.warning("could not cache the vocabularies in %s: %s", path.parent, exc)
