import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import bot.index as index_mod
from bot.errors import WhodecidesError
from bot.index import CHUNKS, MANIFEST, VECTORS, Index, IndexCorrupt, ensure_index, stale_reasons
from bot.textutil import stem, words
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
    assert list(loaded.chunks) == list(fresh.chunks)
    assert [loaded.chunks[i] for i in (0, len(fresh.chunks) - 1)] == [fresh.chunks[0], fresh.chunks[-1]]
    assert loaded.manifest.n_chunks == len(fresh.chunks) == loaded.ann.ntotal == len(loaded.chunks)
    assert loaded.manifest.dim == 64 and loaded.manifest.model == MODEL
    q = HashEncoder().encode(["who orders the product backlog"])
    s1, i1 = fresh.ann.search(q, 5)
    s2, i2 = loaded.ann.search(q, 5)
    assert np.array_equal(i1, i2) and np.allclose(s1, s2)
    for terms in (["backlog"], ["price", "product", "product_owner", "no-such-term"]):
        a, b = fresh.lexical.match(terms), loaded.lexical.match(terms)
        assert len(a.ids) > 0 and np.array_equal(a.ids, b.ids) and np.array_equal(a.scores, b.scores)
    assert loaded.stems == fresh.stems == {stem(w) for c in fresh.chunks for w in words(c.text)}
    assert loaded.words == fresh.words == {w for c in fresh.chunks for w in words(c.text)}
    assert set(loaded.manifest.files) >= {VECTORS, CHUNKS, "bm25.data.npy", "stems.txt"}
    assert loaded.manifest.query_encoder is None  # a fake model has nothing to export


def test_of_doc_gives_a_documents_chunks_in_order(built: tuple[Path, Path]) -> None:
    _, folder = built
    loaded = Index.load(folder)
    every = list(loaded.chunks)
    for doc in {c.doc_id for c in every}:
        assert loaded.chunks.of_doc(doc) == [c for c in every if c.doc_id == doc]
    assert loaded.chunks.of_doc("no-such-doc.md") == []


def test_fresh_index_has_no_stale_reasons(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    assert stale_reasons(folder, corpus, MODEL) == []


def test_corpus_change_makes_it_stale(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    (corpus / "charter.md").write_text("# Charter\n\nOur PO decides the release date.\n")
    assert stale_reasons(folder, corpus, MODEL) == ["the corpus changed"]


def test_a_corpus_file_changed_in_place_with_its_size_and_mtime_kept_is_not_missed_by_a_new_mtime(
    built: tuple[Path, Path],
) -> None:
    corpus, folder = built
    path = next(p for p in sorted(corpus.iterdir()) if p.suffix == ".md")
    text = path.read_text()
    path.write_text(text.replace("the", "teh", 1))  # same size, new content, new mtime
    assert stale_reasons(folder, corpus, MODEL) == ["the corpus changed"]
    path.write_text(text)  # back as it was: same content, only the mtime differs
    assert stale_reasons(folder, corpus, MODEL) == []


def test_model_change_makes_it_stale(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    assert "the model changed" in stale_reasons(folder, corpus, "another-model")


def test_model_fingerprint_hashes_contents_and_reuses_hashes_of_unchanged_files(tmp_path: Path) -> None:
    from bot import embedding

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"\x01" * 1000)
    (model / "README.md").write_text("not part of the weights")
    fp, stamps = embedding.model_fingerprint(str(model))
    assert set(stamps) == {"config.json", "model.safetensors"}
    (model / "model.safetensors").write_bytes(b"\x02" * 1000)  # retrained: same size, new weights
    fp2, stamps2 = embedding.model_fingerprint(str(model), stamps)
    assert fp2 != fp
    (model / "README.md").write_text("edited")
    assert embedding.model_fingerprint(str(model), stamps2)[0] == fp2
    # With size and mtime unchanged the recorded hash is trusted: nothing is read (a start stays cheap).
    fake = {name: s.__class__(s.size, s.mtime_ns, "0" * 64) for name, s in stamps2.items()}
    assert embedding.model_fingerprint(str(model), fake)[0] != fp2


def test_chunker_change_makes_it_stale(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, folder = built
    monkeypatch.setattr(index_mod, "CHUNKER_VERSION", "999")
    assert stale_reasons(folder, corpus, MODEL) == ["the chunker changed"]


def test_an_index_of_an_older_format_is_stale_not_corrupt(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["format_version"] = 3
    manifest["files"] = {name: "a-plain-sha256-as-format-3-wrote" for name in manifest["files"]}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert stale_reasons(folder, corpus, MODEL) == ["the index format changed"]
    with pytest.raises(WhodecidesError, match="another version of whodecides.*whodecides index"):
        Index.load(folder)


def test_missing_or_stale_index_is_rebuilt_with_a_line_saying_so(
    built: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, folder = built
    (corpus / "charter.md").write_text("# Charter\n\nOur PO decides the release date of every sprint.\n")
    idx = ensure_index(corpus, folder, HashEncoder(), MODEL)
    assert "building the index (the corpus changed)" in capsys.readouterr().err
    assert [c.doc_id for c in idx.chunks.of_doc("charter.md")] == ["charter.md"]
    assert stale_reasons(folder, corpus, MODEL) == []
    shutil.rmtree(folder)
    ensure_index(corpus, folder, HashEncoder(), MODEL)
    assert "no index yet" in capsys.readouterr().err
    ensure_index(corpus, folder, HashEncoder(), MODEL)
    assert capsys.readouterr().err == ""  # fresh: loaded, not rebuilt


def test_corrupt_vectors_give_a_clear_error_that_says_how_to_rebuild(built: tuple[Path, Path]) -> None:
    _, folder = built
    (folder / VECTORS).write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorrupt, match=r"corrupt: vectors.faiss does not match its manifest.*whodecides index"):
        Index.load(folder)


@pytest.mark.parametrize("name", ["chunks.jsonl", "chunks.jsonl.offsets.npy", "bm25.indptr.npy", "stems.txt"])
def test_every_kind_of_file_is_checked(built: tuple[Path, Path], name: str) -> None:
    _, folder = built
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / name).write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=f"{name} does not match its manifest"):
        Index.load(folder)


def test_a_flipped_byte_with_size_and_mtime_kept_is_caught_by_the_full_check(built: tuple[Path, Path]) -> None:
    _, folder = built
    path = folder / "bm25.data.npy"
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    Index.load(folder)  # the cheap start-up check trusts size and mtime, as designed
    with pytest.raises(IndexCorrupt, match="bm25.data.npy does not match its manifest"):
        Index.load(folder, full_check=True)


def test_touched_but_intact_files_are_checked_once_then_restamped(built: tuple[Path, Path]) -> None:
    _, folder = built
    before = Index.read_manifest(folder)
    assert before is not None
    for name in before.files:
        os.utime(folder / name, ns=(1_000_000_000, 1_000_000_000))  # as a copy without -p leaves them
    Index.load(folder)
    after = Index.read_manifest(folder)
    assert after is not None
    assert {n: s.sha256 for n, s in after.files.items()} == {n: s.sha256 for n, s in before.files.items()}
    assert all(s.mtime_ns == 1_000_000_000 for s in after.files.values())


def test_corrupt_manifest_and_missing_file_are_clear_errors(built: tuple[Path, Path]) -> None:
    _, folder = built
    (folder / "chunks.jsonl").unlink()
    with pytest.raises(WhodecidesError, match="chunks.jsonl is missing"):
        Index.load(folder)
    (folder / MANIFEST).write_text("{ not json")
    with pytest.raises(IndexCorrupt, match="manifest.json is unreadable"):
        Index.read_manifest(folder)


def test_save_replaces_an_old_index_atomically(built: tuple[Path, Path]) -> None:
    corpus, folder = built
    old = Index.load(folder)
    first = old.chunks[0]
    (corpus / "aaa-extra.md").write_text("# Extra\n\nThe Product Manager owns the pricing of the product.\n")
    Index.build(corpus, HashEncoder(), MODEL).save(folder)
    new = Index.load(folder)
    assert new.chunks[0].doc_id == "aaa-extra.md"
    assert old.chunks[0] == first  # a loaded index keeps reading the files it opened (memory maps)
    assert not list(folder.parent.glob(".index-*")) and not folder.with_name("index.old").exists()
