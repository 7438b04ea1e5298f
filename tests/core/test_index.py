import shutil
from pathlib import Path

import numpy as np
import pytest

import bot.index as index_mod
from bot.errors import WhodecidesError
from bot.index import MANIFEST, VECTORS, Index, ensure_index, stale_reasons
from tests.fakes.encoder import HashEncoder

MODEL = "fake-hash-encoder"


@pytest.fixture
def built(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "index"
    Index.build(corpus_copy, HashEncoder(), MODEL).save(folder)
    return corpus_copy, folder


def test_round_trip_keeps_chunks_vectors_and_lexical_index(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    fresh = Index.build(corpus, HashEncoder(), MODEL)
    loaded = Index.load(folder)
    assert loaded.chunks == fresh.chunks
    assert loaded.manifest.n_chunks == len(fresh.chunks) == loaded.ann.ntotal
    assert loaded.manifest.dim == 64 and loaded.manifest.model == MODEL
    q = HashEncoder().encode(["who orders the product backlog"])
    s1, i1 = fresh.ann.search(q, 5)
    s2, i2 = loaded.ann.search(q, 5)
    assert np.array_equal(i1, i2) and np.allclose(s1, s2)
    assert np.allclose(fresh.bm25.get_scores(["backlog"]), loaded.bm25.get_scores(["backlog"]))
    assert set(loaded.manifest.files) >= {VECTORS, "chunks.jsonl"}


def test_fresh_index_has_no_stale_reasons(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    assert stale_reasons(folder, corpus, MODEL) == []


def test_corpus_change_makes_it_stale(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    (corpus / "charter.md").write_text("# Charter\n\nOur PO decides the release date.\n")
    assert stale_reasons(folder, corpus, MODEL) == ["the corpus changed"]


def test_model_change_makes_it_stale(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    assert "the model changed" in stale_reasons(folder, corpus, "another-model")


def test_chunker_change_makes_it_stale(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, folder = built
    monkeypatch.setattr(index_mod, "CHUNKER_VERSION", "999")
    assert stale_reasons(folder, corpus, MODEL) == ["the chunker changed"]


def test_missing_or_stale_index_is_rebuilt_with_a_line_saying_so(
    built: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, folder = built
    (corpus / "charter.md").write_text("# Charter\n\nOur PO decides the release date of every sprint.\n")
    idx = ensure_index(corpus, folder, HashEncoder(), MODEL)
    assert "building the index (the corpus changed)" in capsys.readouterr().err
    assert any(c.doc_id == "charter.md" for c in idx.chunks)
    assert stale_reasons(folder, corpus, MODEL) == []
    shutil.rmtree(folder)
    ensure_index(corpus, folder, HashEncoder(), MODEL)
    assert "no index yet" in capsys.readouterr().err
    ensure_index(corpus, folder, HashEncoder(), MODEL)
    assert capsys.readouterr().err == ""  # fresh: loaded, not rebuilt


def test_corrupt_vectors_give_a_clear_error_that_says_how_to_rebuild(built: tuple[Path, Path]) -> None:
    _, folder = built
    (folder / VECTORS).write_bytes(b"not a faiss index")
    with pytest.raises(WhodecidesError, match=r"corrupt.*whodecides index"):
        Index.load(folder)


def test_corrupt_manifest_and_missing_file_are_clear_errors(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    (folder / "chunks.jsonl").unlink()
    with pytest.raises(WhodecidesError, match="chunks.jsonl is missing"):
        Index.load(folder)
    (folder / MANIFEST).write_text("{ not json")
    with pytest.raises(WhodecidesError, match="manifest.json is unreadable"):
        stale_reasons(folder, corpus, MODEL)


def test_save_replaces_an_old_index_atomically(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    (corpus / "extra.md").write_text("# Extra\n\nThe Product Manager owns the pricing of the product.\n")
    Index.build(corpus, HashEncoder(), MODEL).save(folder)
    assert any(c.doc_id == "extra.md" for c in Index.load(folder).chunks)
    assert not list(folder.parent.glob(".index-*")) and not folder.with_name("index.old").exists()
