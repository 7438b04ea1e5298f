"""Every quoted citation appears verbatim in the corpus, and in a chunk that can be shown as a passage."""

import pytest

from bot.chunking import chunk_corpus
from bot.corpus import load_corpus
from bot.rules import load_rules
from tests.conftest import CORPUS

BOOK = load_rules()
CITATIONS = [(r.id, c.doc, c.quote) for r in (*BOOK.rules, *BOOK.modifiers) for c in r.citations]
DOCS = {d.doc_id: d for d in load_corpus(CORPUS)}
CHUNKS = chunk_corpus(list(DOCS.values()))


@pytest.mark.parametrize(("rule_id", "doc", "quote"), CITATIONS, ids=[f"{r}:{q[:30]}" for r, _, q in CITATIONS])
def test_quote_is_verbatim_in_its_document(rule_id: str, doc: str, quote: str) -> None:
    assert doc in DOCS, f"{rule_id} cites a missing document {doc}"
    raw = (CORPUS / doc).read_text(encoding="utf-8")
    assert quote in raw, f"{rule_id}: quote not verbatim in {doc}"


@pytest.mark.parametrize(("rule_id", "doc", "quote"), CITATIONS, ids=[f"{r}:{q[:30]}" for r, _, q in CITATIONS])
def test_quote_lies_in_one_chunk(rule_id: str, doc: str, quote: str) -> None:
    squash = " ".join(quote.split())
    assert any(c.doc_id == doc and squash in " ".join(c.text.split()) for c in CHUNKS), rule_id
