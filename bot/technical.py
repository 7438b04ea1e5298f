"""Is the ask a choice about how the software is built? Then it is the Development Team's, whatever product word
sits next to it ("for the churn dashboard, dbt or app code?", "Jest or Vitest for the new frontend?").

The router reads meaning, and a product word ("dashboard", "pricing") pulls it towards a product area. This
reads form instead: a choice (X or Y, X vs Y, between X and Y, switch to X, which library) whose alternatives
are named in the technical vocabulary of `technical_terms.txt`. Choosing between two features to do first is
ordering, not building, so an ask about order or priority never fires.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from bot.textutil import stem

TERMS_FILE = Path(__file__).with_name("technical_terms.txt")

# Words skipped between "or" and an alternative: "in dbt or in the app code", "or to a queue", "or keep SVG".
_FILLER = frozenset("a an the in on with to via using use our we it some one of just keep stay stick".split())
# "X or Y first?" picks what to do next: the Product Owner's ordering, not a technical choice.
_ORDERING = re.compile(
    r"\b(first|next|sooner|later|priorit\w*|before(?!\s+(?:merg|deploy|commit|push|build)\w*)|ahead|order|backlog|"
    r"sprint)\b(?!\.\w)",
    re.I,
)
_CHOICE_VERB = re.compile(
    r"\b(?:use|using|adopt|adopting|switch(?:ing)?\s+(?:to|from)|mov(?:e|ing)\s+(?:to|off|from)|migrat\w*\s+(?:to|off|from)|"
    r"upgrad\w*\s+(?:\S+\s+){0,3}?(?:to|from)|bump(?:ing)?|(?:do\s+we|we)\s+(?:even\s+|really\s+)?need|"
    r"go\s+with|pick(?:s|ing)?|choos(?:e|es|ing)|replac\w*\s+\S+\s+with|rewrit\w*\s+(?:\S+\s+){0,3}?in|drop|dropping|introduc\w*|add(?:ing)?)\s+",
    re.I,
)
# "which charting library", "what database", "which CI provider": a tool chosen by what kind of tool it is.
_WHICH_TOOL = re.compile(
    r"\b(?:which|what)\s+(?:\S+\s+){0,2}?(?:library|libraries|plugin|framework|database|db|orm|"
    r"language|stack|"
    r"tool|tooling|provider|runner|linter|bundler|queue|cache|ci|cloud|host|hosting|test\s+framework|"
    r"package\s+manager|component\s+library|architecture|pattern)\b",
    re.I,
)
# "what should the cache TTL be?", "how many story points is it?": a technical setting or an estimate.
_SETTING = re.compile(
    r"\b(?:what\s+(?:should|would|will|do\s+we\s+set|is)\s+(?:the\s+|our\s+|a\s+)?|how\s+(?:many|much|long|big|often)\s+)",
    re.I,
)
_WORD = re.compile(r"[a-z0-9][a-z0-9.#+/-]*", re.I)
# "should we refactor the billing module?", "is it worth rewriting the API in Go?": doing it at all is the choice,
# and these verbs only ever name engineering work (not "optimize", "migrate" or "upgrade": "…the funnel",
# "…customers to the new plan").
_BUILD_VERBS = frozenset(
    """refactor rewrite containerize containerise dockerize cache shard denormalize denormalise memoize paginate
    parallelize parallelise debounce decouple modularize modularise rearchitect re-architect replatform""".split()
)
_DO_WE = re.compile(
    r"\b(?:should|shall|do|can|could|must)\s+we\s+(?:even\s+|just\s+|really\s+|finally\s+|also\s+)?([\w-]+)"
    r"|\b(?:is\s+it|it's|its)\s+(?:even\s+|really\s+)?worth\s+([\w-]+)|\blet'?s\s+(?:just\s+)?([\w-]+)",
    re.I,
)


@cache
def _build_stems() -> frozenset[str]:
    return frozenset(stem(v) for v in _BUILD_VERBS)


def _does_build_work(ask: str) -> bool:
    """ "refactoring", "rewrites", "cached": any form of one of the _BUILD_VERBS (compared by stem)."""
    return any(stem(next(g for g in m.groups() if g).lower()) in _build_stems() for m in _DO_WE.finditer(ask))


@cache
def terms() -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
    """(single words, phrases as word tuples) from the terms file."""
    entries = [tuple(entry.split()) for entry in word_list(TERMS_FILE)]
    return frozenset(e[0] for e in entries if len(e) == 1), frozenset(e for e in entries if len(e) > 1)


def word_list(path: Path) -> list[str]:
    """A vocabulary file: one lower-cased entry per line; a line starting with # is a comment ("c#" is a term)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def known_terms() -> frozenset[str]:
    """Every word of the vocabulary: such a word is never masked as a name ("Vitest", "Postgres")."""
    single, phrases = terms()
    return single | {w for p in phrases for w in p}


def _tokens(text: str) -> list[str]:
    return [t.lower().rstrip(".,;:!?") for t in _WORD.findall(text)]


def _term_at(tokens: list[str], i: int) -> bool:
    """Does a term start or end at position i (one word, or a phrase of up to three words)?"""
    single, phrases = terms()
    if 0 <= i < len(tokens) and tokens[i] in single:
        return True
    for n in (2, 3):
        if tuple(tokens[i : i + n]) in phrases or (i - n + 1 >= 0 and tuple(tokens[i - n + 1 : i + 1]) in phrases):
            return True
    return False


# Words that end the noun phrase of an alternative: "a headless UI lib for the modals" stops at "for".
_PRONOUNS = frozenset("it them this that".split())
_PHRASE_END = frozenset("for to in on at of from by with whose who which that so but and or vs versus is are".split())


def _alternatives(tokens: list[str]) -> bool:
    """A technical term in the noun phrase beside "or", "vs" or "versus" ("a one-off backfill job", "Redis"), or
    inside "between X and Y"."""
    for i, tok in enumerate(tokens):
        if tok in ("or", "vs", "vs.", "versus"):
            j = i + 1
            while j < len(tokens) and tokens[j] in _FILLER:
                j += 1
            right = j
            while right < min(j + 3, len(tokens)) and tokens[right] not in _PHRASE_END:
                right += 1
            # "batch it or stream it": the alternative is the word before the pronoun
            left = i - 2 if i >= 2 and tokens[i - 1] in _PRONOUNS else i - 1
            if _term_at(tokens, left) or any(_term_at(tokens, k) for k in range(j, max(right, j + 1))):
                return True
        if tok == "between":
            window = tokens[i + 1 : i + 8]
            if "and" in window and any(_term_at(tokens, k) for k in range(i + 1, i + 1 + len(window))):
                return True
    return False


def _after_choice_verb(text: str) -> bool:
    for m in _CHOICE_VERB.finditer(text):
        tokens = _tokens(text[m.end() :])[:4]
        k = 0
        while k < len(tokens) and tokens[k] in _FILLER:
            k += 1
        if any(_term_at(tokens, j) for j in range(k, min(k + 2, len(tokens)))):
            return True
    return False


def asks_technical_choice(ask: str) -> bool:
    """The ask chooses how to build: between technical alternatives, a tool by kind, or a technical setting."""
    if _ORDERING.search(ask):
        return False
    tokens = _tokens(ask)
    if _alternatives(tokens) or _after_choice_verb(ask) or _WHICH_TOOL.search(ask) or _which_term(tokens):
        return True
    if _does_build_work(ask):  # doing engineering work at all
        return True
    return any(_term_near(_tokens(ask[m.end() :])[:4]) for m in _SETTING.finditer(ask))


def _which_term(tokens: list[str]) -> bool:
    """ "which/what" and a technical term right after it: "what unit test coverage do we enforce?" """
    return any(
        tok in ("which", "what") and any(_term_at(tokens, j) for j in range(i + 1, min(i + 4, len(tokens))))
        for i, tok in enumerate(tokens)
    )


def _term_near(tokens: list[str]) -> bool:
    return any(_term_at(tokens, j) for j in range(len(tokens)))


# "backend engineers", "a frontend dev": a term naming people says who, not how something is built.
_PEOPLE = frozenset(
    "engineer engineers dev devs developer developers team teams lead leads person people hire hires role roles "
    "folks guy guys squad".split()
)


def names_technical(ask: str) -> bool:
    """The ask names a technical term at all ("who decides the retry strategy?"), a choice or not."""
    tokens = _tokens(ask)
    return any(_term_at(tokens, i) and not _names_people(tokens, i) for i in range(len(tokens)))


def _names_people(tokens: list[str], i: int) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1] in _PEOPLE
