"""Every rule's citation must quote the corpus: a rules file that cites text the corpus lacks is refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.chunking import Chunk
from bot.errors import WhodecidesError
from bot.rules import RuleBook
from bot.textutil import fold

MAX_LISTED = 5  # problems named in one error; the rest are counted


def normalise(text: str) -> str:
    """Case, accents, curly quotes and runs of white space do not make a quote differ."""
    return " ".join(fold(text).split())


def missing_quotes(book: RuleBook, chunks_of: Callable[[str], Sequence[Chunk]]) -> list[str]:
    """One line per citation whose quote is not in its document's chunks (or whose document is not indexed)."""
    problems: list[str] = []
    texts: dict[str, tuple[list[str], str]] = {}
    for rule in (*book.rules, *book.modifiers):
        where = f"Rules file {rule.source}: " if rule.source else ""
        for cit in rule.citations:
            if cit.doc not in texts:
                chunks = [normalise(c.text) for c in chunks_of(cit.doc)]
                texts[cit.doc] = (chunks, " ".join(chunks))  # a quote may run across two chunks
            chunks, whole = texts[cit.doc]
            quote = normalise(cit.quote)
            if not chunks:
                problems.append(f"{where}rule {rule.id} cites {cit.doc}, which is not in the corpus.")
            elif not (quote and (quote in whole or any(quote in c for c in chunks))):
                problems.append(f"{where}rule {rule.id} quotes “{cit.quote}”, which is not in {cit.doc}.")
    return problems


def check_citations(book: RuleBook, chunks_of: Callable[[str], Sequence[Chunk]]) -> None:
    """Raise a user-facing error naming each rule whose quote the corpus does not hold."""
    problems = missing_quotes(book, chunks_of)
    if not problems:
        return
    more = len(problems) - MAX_LISTED
    listed = "\n".join(f"- {p}" for p in problems[:MAX_LISTED]) + (f"\n- …and {more} more." if more > 0 else "")
    raise WhodecidesError(
        "The rules cite text that is not in the corpus, so their answers could not show their sources:\n"
        f"{listed}\nCopy each quote verbatim from its document (or fix `doc`), then start again."
    )


__all__ = ["check_citations", "missing_quotes", "normalise"]
