import logging
from pathlib import Path

import pytest

from bot.corpus import corpus_hash, load_corpus, read_document
from bot.errors import WhodecidesError
from tests.conftest import CORPUS


def test_seed_articles_are_imported_with_metadata_and_cleaned() -> None:
    docs = load_corpus(CORPUS)
    assert len(docs) == 5
    for d in docs:
        assert d.title and d.source and d.text
        assert "http" not in d.text  # no URLs that were not in the text; link lists dropped
    text = "\n".join(d.text for d in docs)
    for junk in ("Terms of Use", "This may interest you", "Table of contents", "Table of Contents", "Skip to main"):
        assert junk not in text


def test_front_matter_gives_title_and_source(tmp_path: Path) -> None:
    p = tmp_path / "charter.md"
    p.write_text(
        "---\ntitle: Our role charter\nsource: Internal wiki\n---\n\n# Charter\n\nThe PO orders the backlog.\n"
    )
    doc = read_document(p)
    assert doc is not None
    assert (doc.title, doc.source, doc.doc_id) == ("Our role charter", "Internal wiki", "charter.md")
    assert doc.text.startswith("# Charter")


def test_plain_text_file_takes_its_first_line_as_title(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("Who does what\n\nThe PM owns pricing.\n")
    doc = read_document(p)
    assert doc is not None and doc.title == "Who does what" and doc.source == "notes.txt"


def test_non_utf8_file_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nThe PO writes user stories.\n")
    (tmp_path / "bad.md").write_bytes(b"# Bad\n\n\xff\xfe caf\xe9 latin-1 text\n")
    with caplog.at_level(logging.WARNING):
        docs = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good.md"]
    assert "bad.md" in caplog.text and "UTF-8" in caplog.text


def test_empty_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WhodecidesError, match="empty"):
        load_corpus(tmp_path)
    (tmp_path / "only-blank.md").write_text("   \n")
    with pytest.raises(WhodecidesError, match="whodecides index"):
        load_corpus(tmp_path)


def test_corpus_hash_changes_when_a_file_changes(corpus_copy: Path) -> None:
    before = corpus_hash(corpus_copy)
    f = corpus_copy / "glossary.md"
    f.write_text(f.read_text() + "\nOne more line.\n")
    assert corpus_hash(corpus_copy) != before
