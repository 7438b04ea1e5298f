"""Tokens for lexical search and rule triggers: lower case, stop words out, Snowball stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STEM = Stemmer.Stemmer("english")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves us let lets
    s t d ll m o re ve y shall may might must ought also get gets got""".split()
)

# Words of the question's frame ("who should decide X, the PO or the PM?") that say nothing of its topic.
FRAME_WORDS = frozenset(
    """decide decides decided deciding decision decisions call calls choose chooses chose choice pick picks
    determine determines responsible responsibility accountable owns owner owners own po pm pos pms
    manager managers role roles person people job final say makes make making whose somebody someone
    ultimately should would""".split()
)


def fold(text: str) -> str:
    """Lower-case ASCII-ish text: accents dropped, curly quotes straightened."""
    if text.isascii():  # the common case, and 20× faster than decomposing every character
        return text.lower()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


# Words whose meaning a stem would change: "marketing" is not "market".
_STEM_EXCEPTIONS = {"marketing": "marketing", "marketer": "marketing", "marketers": "marketing"}

# Rule triggers keep the small words that carry meaning in a phrase: "how to build", "sign off", "buy in".
RULE_STOPWORDS = STOPWORDS - frozenset(
    """what how which when where why up down off out in on into each all every no not nor this only same
    both few more most against over under between before after again further own first""".split()
)


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    return _STEM_EXCEPTIONS.get(word) or _STEM.stemWord(word)


def words(text: str) -> list[str]:
    return [w.split("'")[0] for w in _WORD.findall(fold(text))]


def tokens(text: str, *, drop_frame: bool = False) -> list[str]:
    out = []
    for w in words(text):
        if w in STOPWORDS or (drop_frame and w in FRAME_WORDS):
            continue
        out.append(stem(w))
    return out


def rule_tokens(text: str) -> list[str]:
    """Tokens for matching rule triggers: frame words out, meaningful small words kept."""
    return [stem(w) for w in words(text) if w not in RULE_STOPWORDS and w not in FRAME_WORDS]


def lexical_terms(text: str, *, drop_frame: bool = False) -> list[str]:
    """BM25 terms: stems plus adjacent-stem bigrams, so "product marketing" outranks "product … marketing"."""
    toks = tokens(text, drop_frame=drop_frame)
    return toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:], strict=False)]
