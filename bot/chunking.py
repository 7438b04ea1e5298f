"""Documents into chunks that keep their context: section, list lead-in, table headers, role. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.corpus import ORG, Document

CHUNKER_VERSION = "4"  # 4: chunks carry their document's authority
MAX_WORDS = 70  # long paragraphs are split on sentences to about this size
WHOLE_SECTION_WORDS = 110  # a short section (a forum reply, say) stays whole
MIN_WORDS = 6  # shorter paragraphs ("Hi everyone,") join the next one

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")
_PO = re.compile(r"\bproduct owners?\b|\bproduct ownership\b|\bPO(?:'?s)?\b", re.I)
_PM = re.compile(r"\bproduct managers?\b|\bproduct management\b|\bPMs?\b(?!\s*October)", re.I)
_TEAM = re.compile(r"\bdevelopment team\b|\bdevelopers\b|\bdev team\b", re.I)


@dataclass(frozen=True)
class Chunk:
    chunk_id: int
    doc_id: str
    title: str
    source: str
    section: str
    text: str
    role: str | None  # "PO" | "PM" | None when the text does not make it plain
    authority: str = ""  # its document's: "org" for the organisation's own (bot.corpus.ORG), "" for an article


def words(text: str) -> int:
    return len(text.split())


def _count(pattern: re.Pattern[str], text: str) -> int:
    # PO/PM abbreviations must be upper case to count; the long names any case.
    n = 0
    for m in pattern.finditer(text):
        s = m.group(0)
        if len(s) <= 4 and not s[:2].isupper():
            continue
        n += 1
    return n


def role_of(text: str, context: str = "") -> str | None:
    """The role a piece of text describes, where it makes that plain."""
    po, pm = _count(_PO, text), _count(_PM, text)
    if po and not pm:
        return "PO"
    if pm and not po:
        return "PM"
    if po or pm:
        if po >= 2 * pm:
            return "PO"
        if pm >= 2 * po:
            return "PM"
        return None
    if context:
        return role_of(context)
    return None


@dataclass
class _Block:
    kind: str  # "para" | "list" | "table"
    lines: list[str]
    lead: str = ""


def _blocks(section_lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    cur: list[str] = []

    def flush() -> None:
        if cur:
            blocks.append(_Block("para", cur.copy()))
            cur.clear()

    for line in section_lines:
        s = line.strip()
        if not s:
            flush()
            continue
        if s.startswith("|"):
            flush()
            if blocks and blocks[-1].kind == "table":
                blocks[-1].lines.append(s)
            else:
                blocks.append(_Block("table", [s]))
            continue
        m = _ITEM.match(line)
        if m:
            lead = ""
            if cur:  # a lead-in written right above its items
                lead = " ".join(cur)
                cur.clear()
            elif blocks and blocks[-1].kind == "list":
                blocks[-1].lines.append(m.group(1).strip())
                continue
            elif blocks and blocks[-1].kind == "para" and blocks[-1].lines[-1].rstrip().endswith(":"):
                lead = " ".join(blocks.pop().lines)
            blocks.append(_Block("list", [m.group(1).strip()], lead=lead))
            continue
        if blocks and blocks[-1].kind == "list" and not cur and line.startswith("  "):
            blocks[-1].lines[-1] += " " + s  # a wrapped list item
            continue
        cur.append(s)
    flush()
    return blocks


def _split_sentences(text: str, limit: int = MAX_WORDS) -> list[str]:
    if words(text) <= limit:
        return [text]
    out: list[str] = []
    buf: list[str] = []
    for sent in _SENT.split(text):
        if buf and words(" ".join(buf + [sent])) > limit:
            out.append(" ".join(buf))
            buf = []
        buf.append(sent)
    if buf:
        tail = " ".join(buf)
        if out and words(tail) < 15:  # no orphan last sentence
            out[-1] = f"{out[-1]} {tail}"
        else:
            out.append(tail)
    return out


def _table_rows(lines: list[str]) -> list[str]:
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in r)]
    if len(rows) < 2:
        return [" | ".join(r) for r in rows]
    header, body = rows[0], rows[1:]
    out = []
    for r in body:
        cells = [f"{h}: {c}" for h, c in zip(header, r, strict=False) if c]
        out.append(" | ".join(cells))
    return out


def _list_texts(block: _Block, group_below: int = 8) -> list[str]:
    """Each item travels with its lead-in; very short items are grouped so a chunk says something."""
    groups: list[list[str]] = []
    for item in block.lines:
        if groups and words(" ".join(groups[-1])) < group_below:
            groups[-1].append(item)
        else:
            groups.append([item])
    lead = block.lead.rstrip()
    return [(f"{lead} … " if lead else "") + " ".join(g) for g in groups]


def chunk_document(doc: Document, start_id: int = 0) -> list[Chunk]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in doc.text.splitlines():
        m = _HEADING.match(line.strip())
        if m:
            level, heading = len(m.group(1)), m.group(2).strip()
            sections.append(("" if level == 1 else heading, []))
        else:
            sections[-1][1].append(line)

    texts: list[tuple[str, str]] = []  # (section, text)
    for section, lines in sections:
        blocks = _blocks(lines)
        if not blocks:
            continue
        paras_only = all(b.kind == "para" for b in blocks)
        whole = " ".join(" ".join(b.lines) for b in blocks)
        if section and paras_only and words(whole) <= WHOLE_SECTION_WORDS:
            texts.append((section, "\n".join(" ".join(b.lines) for b in blocks)))
            continue
        pending = ""
        for b in blocks:
            if b.kind == "table":
                parts = _table_rows(b.lines)
            elif b.kind == "list":
                # An org document's items are rulings ("- The PO sets the price"): one each, never run together.
                parts = _list_texts(b, 0 if doc.authority == ORG else 8)
            else:
                parts = _split_sentences(" ".join(b.lines))
            for p in parts:
                if pending:
                    p = f"{pending}\n{p}"
                    pending = ""
                if b.kind == "para" and (words(p) < MIN_WORDS or p.rstrip().endswith(":")):
                    pending = p  # a greeting or a lead-in joins what follows
                    continue
                texts.append((section, p))
        if pending:
            if texts and texts[-1][0] == section:
                texts[-1] = (section, f"{texts[-1][1]}\n{pending}")
            else:
                texts.append((section, pending))

    chunks = []
    for i, (section, text) in enumerate(texts):
        chunks.append(
            Chunk(
                chunk_id=start_id + i,
                doc_id=doc.doc_id,
                title=doc.title,
                source=doc.source,
                section=section,
                text=text,
                role=role_of(text, section),
                authority=doc.authority,
            )
        )
    return chunks


def chunk_corpus(docs: list[Document]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, start_id=len(chunks)))
    return chunks
