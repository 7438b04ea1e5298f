"""Reading and cleaning the source documents in corpus/."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.errors import WhodecidesError

log = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".txt")
ORG = "org"  # front matter `authority: org`: the organisation's own document, which outranks the articles
AUTHORITIES = ("", ORG)  # "" : a general article (the default)
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


@dataclass(frozen=True)
class Document:
    doc_id: str  # the file name, which citations refer to
    title: str
    source: str
    text: str  # the body, front matter removed
    authority: str = ""  # ORG for the organisation's own documents, "" for general articles


def _parse_front_matter(raw: str) -> tuple[dict[str, str], str]:
    m = _FRONT.match(raw)
    if not m:
        return {}, raw
    meta: dict[str, str] = {}
    for line in m.group(1).splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            meta[key.strip().lower()] = value.strip().strip('"').strip("'")
    return meta, raw[m.end() :]


def clean_text(text: str) -> str:
    """Normalise what users paste in: NFC, no BOM/NBSP/CR, no trailing blanks."""
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\t", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _title_from(body: str, path: Path) -> str:
    for line in body.splitlines():
        s = line.strip().lstrip("#").strip()
        if s:
            return s[:200]
    return path.stem


def read_document(path: Path) -> Document | None:
    """One file → Document; None (with a warning) when it is not UTF-8 text or empty."""
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        log.warning("skipping %s: not valid UTF-8 text (save it as UTF-8 and rebuild)", path.name)
        return None
    meta, body = _parse_front_matter(raw)
    body = clean_text(body)
    if not body:
        log.warning("skipping %s: it has no text", path.name)
        return None
    authority = meta.get("authority", "").lower()
    if authority not in AUTHORITIES:
        log.warning(
            "%s: unknown `authority: %s` (only `authority: org` is known); read as an article", path.name, authority
        )
        authority = ""
    return Document(
        doc_id=path.name,
        title=meta.get("title") or _title_from(body, path),
        source=meta.get("source") or path.name,
        text=body,
        authority=authority,
    )


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        return []
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def load_corpus(corpus_dir: Path) -> list[Document]:
    if not corpus_dir.exists():
        raise WhodecidesError(
            f"The corpus folder {corpus_dir} does not exist: check --corpus or WHODECIDES_CORPUS "
            "(the default is corpus/ in the project)."
        )
    if not corpus_dir.is_dir():
        raise WhodecidesError(f"The corpus {corpus_dir} is not a folder: point --corpus at a folder of .md files.")
    docs = [d for d in (read_document(p) for p in corpus_files(corpus_dir)) if d is not None]
    if not docs:
        raise WhodecidesError(
            f"The corpus in {corpus_dir} is empty: add .md or .txt files (UTF-8) and run `whodecides index`."
        )
    return docs


def corpus_hash(corpus_dir: Path) -> str:
    """Hash of names and bytes of every corpus file, to tell when the index is stale."""
    h = hashlib.sha256()
    for p in corpus_files(corpus_dir):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()
