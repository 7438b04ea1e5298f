"""index/: build, save, load and staleness check. A folder of named files plus a manifest, checked on load."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bot.chunking import CHUNKER_VERSION, Chunk, chunk_corpus
from bot.corpus import corpus_hash, load_corpus
from bot.embedding import Encoder, model_fingerprint
from bot.errors import WhodecidesError
from bot.textutil import lexical_terms

log = logging.getLogger(__name__)


def _quiet_bm25s() -> None:
    # bm25s sets its logger to DEBUG on import and would print every build to the user.
    logging.getLogger("bm25s").setLevel(logging.WARNING)


FORMAT_VERSION = 3  # 2: chunks embedded with their section heading; 3: BM25 bigrams
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
LEXICAL = "bm25"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def _build_ann(vectors: np.ndarray):
    from bot.ann import build_ann

    return build_ann(vectors)


def _bm25(chunk_tokens: list[list[str]]):
    import bm25s

    _quiet_bm25s()
    retriever = bm25s.BM25()
    retriever.index(chunk_tokens, show_progress=False)
    return retriever


def lexical_text(chunk: Chunk) -> str:
    # The section heading says what a list item or a short reply is about.
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def embedding_text(chunk: Chunk) -> str:
    return f"{chunk.section}: {chunk.text}" if chunk.section else chunk.text


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
    files: dict[str, str]


class Index:
    """Chunks, their FAISS vectors and a BM25 lexical index, always consistent with one manifest."""

    def __init__(self, chunks: list[Chunk], ann, bm25, manifest: Manifest) -> None:
        self.chunks = chunks
        self.ann = ann
        self.bm25 = bm25
        self.manifest = manifest

    # --- building ------------------------------------------------------------
    @classmethod
    def build(
        cls, corpus_dir: Path, encoder: Encoder, model: str, *, progress: bool = False, batch_size: int = 32
    ) -> Index:
        docs = load_corpus(corpus_dir)
        chunks = chunk_corpus(docs)
        texts = [embedding_text(c) for c in chunks]
        parts = []
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Embedding chunks", unit="chunk", file=sys.stderr)
        for i in range(0, len(texts), batch_size):
            parts.append(encoder.encode(texts[i : i + batch_size]))
            if bar:
                bar.update(len(texts[i : i + batch_size]))
        if bar:
            bar.close()
        vectors = np.ascontiguousarray(np.vstack(parts).astype(np.float32))
        ann = _build_ann(vectors)
        bm25 = _bm25([lexical_terms(lexical_text(c)) or ["_"] for c in chunks])
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=model,
            model_fingerprint=model_fingerprint(model),
            dim=int(vectors.shape[1]),
            corpus_hash=corpus_hash(corpus_dir),
            chunker_version=CHUNKER_VERSION,
            n_chunks=len(chunks),
            index_kind=type(ann).__name__,
            built_at=time.time(),
            files={},
        )
        return cls(chunks, ann, bm25, manifest)

    # --- persistence ---------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Written to a temporary folder and swapped in, so a crash never leaves half an index."""
        import faiss

        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=folder.parent))
        try:
            faiss.write_index(self.ann, str(tmp / VECTORS))
            with (tmp / CHUNKS).open("w", encoding="utf-8") as f:
                for c in self.chunks:
                    f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
            self.bm25.save(str(tmp / LEXICAL), show_progress=False)
            files = {str(p.relative_to(tmp)): _sha256(p) for p in _files_of(tmp)}
            manifest = Manifest(**{**asdict(self.manifest), "files": files})
            (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
            if folder.exists():
                old = folder.with_name(folder.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                folder.rename(old)
                tmp.rename(folder)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(folder)
            self.manifest = manifest
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def read_manifest(folder: Path) -> Manifest | None:
        path = Path(folder) / MANIFEST
        if not path.exists():
            return None
        try:
            return Manifest(**json.loads(path.read_text()))
        except (ValueError, TypeError) as exc:
            raise _corrupt(folder, f"manifest.json is unreadable ({exc})") from exc

    @classmethod
    def load(cls, folder: Path) -> Index:
        import bm25s
        import faiss

        _quiet_bm25s()
        folder = Path(folder)
        manifest = cls.read_manifest(folder)
        if manifest is None:
            raise WhodecidesError(f"No index in {folder}: run `whodecides index` to build it.")
        for name, digest in manifest.files.items():
            path = folder / name
            if not path.exists():
                raise _corrupt(folder, f"{name} is missing")
            if _sha256(path) != digest:
                raise _corrupt(folder, f"{name} does not match its manifest")
        try:
            ann = faiss.read_index(str(folder / VECTORS))
            chunks = [Chunk(**json.loads(line)) for line in (folder / CHUNKS).read_text().splitlines() if line]
            bm25 = bm25s.BM25.load(str(folder / LEXICAL), show_progress=False)
        except Exception as exc:  # faiss raises RuntimeError, json ValueError, ...
            raise _corrupt(folder, str(exc)) from exc
        if ann.ntotal != len(chunks) or len(chunks) != manifest.n_chunks:
            raise _corrupt(folder, "vectors and chunks disagree")
        return cls(chunks, ann, bm25, manifest)


def _corrupt(folder: Path, why: str) -> WhodecidesError:
    return WhodecidesError(
        f"The index in {folder} is corrupt: {why}. Rebuild it with `whodecides index` (or delete the folder)."
    )


def stale_reasons(folder: Path, corpus_dir: Path, model: str) -> list[str]:
    """Why the index must be rebuilt; empty when it is fresh. Corrupt manifests raise."""
    manifest = Index.read_manifest(folder)
    if manifest is None:
        return ["no index yet"]
    reasons = []
    if manifest.format_version != FORMAT_VERSION:
        reasons.append("the index format changed")
    if manifest.corpus_hash != corpus_hash(corpus_dir):
        reasons.append("the corpus changed")
    if manifest.model_fingerprint != model_fingerprint(model):
        reasons.append("the model changed")
    if manifest.chunker_version != CHUNKER_VERSION:
        reasons.append("the chunker changed")
    return reasons


def build_and_save(corpus_dir: Path, folder: Path, encoder: Encoder, model: str, *, progress: bool) -> Index:
    index = Index.build(corpus_dir, encoder, model, progress=progress)
    index.save(folder)
    return index


def ensure_index(corpus_dir: Path, folder: Path, encoder: Encoder, model: str, *, progress: bool = False) -> Index:
    """Load the index, rebuilding it first (with a line saying why) when it is missing or stale."""
    reasons = stale_reasons(folder, corpus_dir, model)
    if reasons:
        print(f"whodecides: building the index ({', '.join(reasons)})…", file=sys.stderr)
        return build_and_save(corpus_dir, folder, encoder, model, progress=progress)
    return Index.load(folder)
