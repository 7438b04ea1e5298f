"""index/: build, save, load, verify and staleness check. A folder of named files plus a manifest.

What a start costs does not grow with the corpus: the vectors and the BM25 arrays are memory-mapped, chunks are
read one at a time from an offsets table (bot/linetable.py), and the files are checked against the manifest by
size and mtime only. Their contents (sha256) are checked at build time, by `whodecides index --verify`, and at
start whenever a size or mtime differs from the manifest.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot import onnx_encoder
from bot.chunking import CHUNKER_VERSION, Chunk, chunk_corpus
from bot.chunkstore import ChunkTable, MemoryChunks, write_chunks
from bot.corpus import ORG, corpus_files, load_corpus
from bot.embedding import Encoder, SentenceTransformerEncoder, model_fingerprint
from bot.errors import WhodecidesError
from bot.filestamp import Stamp, combined, same_stat, stamp, stamps
from bot.flat import FlatIP, read_flat_ip
from bot.lexical import LexicalIndex
from bot.textutil import lexical_terms, stem, words

log = logging.getLogger(__name__)

FORMAT_VERSION = 7  # 2: section headings; 3: BM25 bigrams; 4: memory-mapped tables, ONNX query encoder, stamps;
# 5: the chunks' words; 6: the ONNX graph saved with ONNX Runtime's optimisations;
# 7: each chunk's authority, and the manifest's list of org documents

MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"  # one JSON chunk a line; chunks.jsonl.offsets.npy beside it
DOCS = "docs.json"  # doc_id → its chunks' id range
STEMS = "stems.txt"  # every stemmed word of the chunks: the vocabulary that tells an English question
WORDS = "words.txt"  # every word of the chunks: what typos are repaired towards


class IndexCorrupt(WhodecidesError):
    """A file of the index is missing, unreadable or not what the manifest recorded."""

    def __init__(self, folder: Path, why: str) -> None:
        super().__init__(
            f"The index in {folder} is corrupt: {why}. Rebuild it with `whodecides index` (or delete the folder)."
        )
        self.why = why


class IndexOutdated(WhodecidesError):
    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"The index in {folder} was built by another version of whodecides. Rebuild it with `whodecides index`."
        )


def lexical_text(chunk: Chunk) -> str:
    # The section heading says what a list item or a short reply is about.
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def embedding_text(chunk: Chunk) -> str:
    return f"{chunk.section}: {chunk.text}" if chunk.section else chunk.text


def chunk_words(chunks: list[Chunk]) -> frozenset[str]:
    return frozenset(w for c in chunks for w in words(c.text))


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_fingerprint: str
    dim: int
    corpus_hash: str
    chunker_version: str
    n_chunks: int
    index_kind: str
    built_at: float
    files: dict[str, Stamp] = field(default_factory=dict)  # every file of the folder but this manifest
    model_files: dict[str, Stamp] = field(default_factory=dict)  # what the model fingerprint was computed from
    corpus_files: dict[str, Stamp] = field(default_factory=dict)  # what the corpus hash was computed from
    query_encoder: dict | None = None  # the ONNX export's config; None: questions go through sentence-transformers
    org_docs: list[str] = field(default_factory=list)  # documents with `authority: org`, read at start without a scan

    _STAMPED = ("files", "model_files", "corpus_files")

    def to_json(self) -> str:
        raw = asdict(self)
        for key in self._STAMPED:
            raw[key] = {name: s.to_json() for name, s in getattr(self, key).items()}
        return json.dumps(raw, indent=2) + "\n"

    @classmethod
    def from_raw(cls, raw: dict) -> Manifest:
        raw = dict(raw)
        for key in cls._STAMPED:
            raw[key] = {name: Stamp.from_json(s) for name, s in raw.get(key, {}).items()}
        return cls(**raw)


def _corpus_stamps(corpus_dir: Path, known: Mapping[str, Stamp] | None = None) -> dict[str, Stamp]:
    return stamps(corpus_dir, [p.name for p in corpus_files(corpus_dir)], known)


class Index:
    """Chunks, their FAISS vectors and a BM25 lexical index, always consistent with one manifest."""

    def __init__(
        self,
        chunks: MemoryChunks | ChunkTable,
        ann,
        lexical: LexicalIndex,
        manifest: Manifest,
        vocabulary: frozenset[str],
        folder: Path | None = None,
        stems: frozenset[str] | None = None,
    ) -> None:
        self.chunks = chunks
        self.ann = ann
        self.lexical = lexical
        self.manifest = manifest
        self.words = vocabulary  # every word of the chunks (bot.textutil.words)
        self.stems = frozenset(stem(w) for w in vocabulary) if stems is None else stems
        self.folder = folder  # where it was saved or loaded from; None while only built

    # --- building ------------------------------------------------------------
    @classmethod
    def build(
        cls, corpus_dir: Path, encoder: Encoder, model: str, *, progress: bool = False, batch_size: int = 32
    ) -> Index:
        from bot.ann import build_ann

        corpus = _corpus_stamps(corpus_dir)
        chunks = MemoryChunks(chunk_corpus(load_corpus(corpus_dir)))
        vectors = _embed(chunks, encoder, progress=progress, batch_size=batch_size)
        ann = build_ann(vectors)
        del vectors
        lexical = LexicalIndex.build(lexical_terms(lexical_text(c)) for c in chunks)
        fingerprint, model_files = model_fingerprint(model)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=model,
            model_fingerprint=fingerprint,
            dim=int(ann.d),
            corpus_hash=combined(corpus),
            chunker_version=CHUNKER_VERSION,
            n_chunks=len(chunks),
            index_kind=type(ann).__name__,
            built_at=time.time(),
            model_files=model_files,
            corpus_files=corpus,
            org_docs=sorted({c.doc_id for c in chunks if c.authority == ORG}),
        )
        return cls(chunks, ann, lexical, manifest, chunk_words(chunks))

    # --- persistence ---------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Written to a temporary folder, verified, and swapped in, so a crash never leaves half an index.

        The ONNX query encoder is exported from the model (or taken over from the index being replaced, when
        that one was exported from the same model and its files are intact).
        """
        import faiss

        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=folder.parent))
        try:
            faiss.write_index(_as_faiss(self.ann), str(tmp / VECTORS))
            write_chunks(tmp, list(self.chunks), CHUNKS, DOCS)
            self.lexical.save(tmp)
            (tmp / STEMS).write_text("\n".join(sorted(self.stems)) + "\n", encoding="utf-8")
            (tmp / WORDS).write_text("\n".join(sorted(self.words)) + "\n", encoding="utf-8")
            encoder, known = _query_encoder_into(tmp, self.manifest, previous=folder)
            names = [str(p.relative_to(tmp)) for p in sorted(tmp.rglob("*")) if p.is_file()]
            manifest = replace(self.manifest, files=stamps(tmp, names, known), query_encoder=encoder)
            (tmp / MANIFEST).write_text(manifest.to_json())
            Index.load(tmp)  # the build-time check: every file reads back and agrees with the others
            _swap_in(tmp, folder)
            self.manifest, self.folder = manifest, folder
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def read_manifest(folder: Path) -> Manifest | None:
        path = Path(folder) / MANIFEST
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text())
            outdated = raw.get("format_version") != FORMAT_VERSION
            manifest = None if outdated else Manifest.from_raw(raw)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IndexCorrupt(folder, f"manifest.json is unreadable ({exc})") from exc
        if manifest is None:
            raise IndexOutdated(folder)
        return manifest

    @classmethod
    def load(cls, folder: Path, *, full_check: bool = False) -> Index:
        """Open the index. Files are compared to the manifest by size and mtime (`full_check`: by content);
        a difference triggers the content check, and a file whose content differs is named in the error."""
        folder = Path(folder)
        manifest = cls.read_manifest(folder)
        if manifest is None:
            raise WhodecidesError(f"No index in {folder}: run `whodecides index` to build it.")
        problems = verify_files(folder, manifest, full=full_check)
        if problems:
            raise IndexCorrupt(folder, "; ".join(problems))
        manifest = cls.read_manifest(folder) or manifest  # re-read: verify_files may have re-stamped it
        return cls._open(folder, manifest)

    @classmethod
    def _open(cls, folder: Path, manifest: Manifest) -> Index:
        n = manifest.n_chunks
        ann = _open_vectors(folder, manifest)
        try:
            chunks = ChunkTable(folder, CHUNKS, DOCS)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(folder, f"{CHUNKS} is unreadable ({exc})") from exc
        try:
            lexical = LexicalIndex.load(folder, n)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(folder, f"the BM25 files are unreadable ({exc})") from exc
        try:
            stems = frozenset((folder / STEMS).read_text(encoding="utf-8").split())
            vocabulary = frozenset((folder / WORDS).read_text(encoding="utf-8").split())
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(folder, f"{STEMS} or {WORDS} is unreadable ({exc})") from exc
        if not (ann.ntotal == len(chunks) == n) or ann.d != manifest.dim:
            raise IndexCorrupt(folder, f"vectors ({ann.ntotal} × {ann.d}) and chunks ({len(chunks)}) disagree")
        return cls(chunks, ann, lexical, manifest, vocabulary, folder, stems)

    def query_encoder(self, *, threads: int = 1, one_shot: bool = False) -> Encoder:
        """The encoder for questions: the index's ONNX export, else sentence-transformers (a slow start).
        `one_shot`: for a process answering one question, which opens faster and encodes slower."""
        if self.folder is not None and self.manifest.query_encoder is not None:
            return onnx_encoder.OnnxEncoder(self.folder, threads=threads, prepack=not one_shot)
        log.warning(
            "The index in %s holds no ONNX query encoder: questions are encoded with sentence-transformers, "
            "which takes seconds to load. Rebuild it with `whodecides index` to fix this.",
            self.folder,
        )
        return SentenceTransformerEncoder(self.manifest.model)


def _embed(chunks: list[Chunk], encoder: Encoder, *, progress: bool, batch_size: int) -> np.ndarray:
    from bot.embedding import embed_in_batches

    texts = [embedding_text(c) for c in chunks]
    return embed_in_batches(encoder, texts, batch_size=batch_size, progress=progress, label="Embedding chunks")


def _query_encoder_into(tmp: Path, manifest: Manifest, previous: Path) -> tuple[dict | None, dict[str, Stamp]]:
    """Put the ONNX query encoder's files into `tmp`; returns its config and the stamps known to be right."""
    if not onnx_encoder.is_exportable(manifest.model):
        return None, {}
    try:
        old = Index.read_manifest(previous)
    except WhodecidesError:  # corrupt or outdated: export afresh
        old = None
    names = onnx_encoder.FILES
    if (
        old is not None
        and old.query_encoder is not None
        and old.query_encoder.get("format") == onnx_encoder.FORMAT
        and old.model_fingerprint == manifest.model_fingerprint
        and all(name in old.files and same_stat(previous / name, old.files[name]) for name in names)
    ):
        for name in names:
            shutil.copy2(previous / name, tmp / name)  # copy2 keeps the mtime, so the old stamps stay valid
        return old.query_encoder, {name: old.files[name] for name in names}
    return onnx_encoder.export(manifest.model, tmp), {}


def _swap_in(tmp: Path, folder: Path) -> None:
    if folder.exists():
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(folder)


def verify_files(folder: Path, manifest: Manifest, *, full: bool) -> list[str]:
    """What is wrong with the folder's files; empty when they are as built.

    Sizes and mtimes first; if any differs (or `full`), every file's content. When the contents all match
    (a copied folder, a `touch`), the manifest is re-stamped so the next start is cheap again.
    """
    missing = [f"{name} is missing" for name in manifest.files if not (folder / name).is_file()]
    if missing:
        return missing
    if not full and all(same_stat(folder / name, s) for name, s in manifest.files.items()):
        return []
    problems, fresh = [], {}
    for name, recorded in manifest.files.items():
        try:
            fresh[name] = stamp(folder / name)
        except OSError as exc:
            problems.append(f"{name} is unreadable ({exc.strerror or exc})")
            continue
        if fresh[name].sha256 != recorded.sha256:
            problems.append(f"{name} does not match its manifest")
    if not problems and fresh != manifest.files:
        _write_manifest(folder, replace(manifest, files=fresh))
    return problems


def _write_manifest(folder: Path, manifest: Manifest) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest-")
        with os.fdopen(fd, "w") as f:
            f.write(manifest.to_json())
        os.replace(tmp, folder / MANIFEST)  # atomic: replicas starting together never read half a manifest
    except OSError as exc:
        log.info("could not re-stamp %s (%s); the next start checks the contents again", folder / MANIFEST, exc)


def _open_vectors(folder: Path, manifest: Manifest) -> Any:
    """A flat index through numpy (no faiss import: ~45 ms of a cold answer), any other through faiss."""
    if manifest.index_kind == "IndexFlatIP":
        flat = read_flat_ip(folder / VECTORS, dim=manifest.dim, n=manifest.n_chunks)
        if flat is not None:
            return flat
    import faiss

    try:
        return faiss.read_index(str(folder / VECTORS), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError as exc:
        raise IndexCorrupt(folder, f"{VECTORS} is unreadable ({str(exc).strip().splitlines()[-1][:160]})") from exc


def _as_faiss(ann: Any) -> Any:
    """What faiss.write_index takes: a loaded flat index is rebuilt as faiss' own from its vectors."""
    if not isinstance(ann, FlatIP):
        return ann
    import faiss

    out = faiss.IndexFlatIP(ann.d)
    out.add(np.ascontiguousarray(ann.vectors))
    return out


def stale_reasons(folder: Path, corpus_dir: Path, model: str) -> list[str]:
    """Why the index must be rebuilt; empty when it is fresh. Corrupt manifests raise IndexCorrupt.

    Hashes of the corpus and the model are reused from the manifest for files whose size and mtime are unchanged,
    so this costs a stat per file, not a read.
    """
    try:
        manifest = Index.read_manifest(folder)
    except IndexOutdated:
        return ["the index format changed"]
    if manifest is None:
        return ["no index yet"]
    reasons = []
    if manifest.corpus_hash != combined(_corpus_stamps(corpus_dir, manifest.corpus_files)):
        reasons.append("the corpus changed")
    if manifest.model_fingerprint != model_fingerprint(model, manifest.model_files)[0]:
        reasons.append("the model changed")
    if manifest.chunker_version != CHUNKER_VERSION:
        reasons.append("the chunker changed")
    if manifest.query_encoder is not None and manifest.query_encoder.get("format") != onnx_encoder.FORMAT:
        reasons.append("the query encoder's export changed")
    return reasons


def build_and_save(corpus_dir: Path, folder: Path, encoder: Encoder, model: str, *, progress: bool) -> Index:
    index = Index.build(corpus_dir, encoder, model, progress=progress)
    index.save(folder)
    return Index.load(folder)


def ensure_index(corpus_dir: Path, folder: Path, encoder: Encoder, model: str, *, progress: bool = False) -> Index:
    """Load the index, rebuilding it first (with a line saying why) when it is missing or stale."""
    reasons = stale_reasons(folder, corpus_dir, model)
    if reasons:
        print(f"whodecides: building the index ({', '.join(reasons)})…", file=sys.stderr)
        return build_and_save(corpus_dir, folder, encoder, model, progress=progress)
    return Index.load(folder)
