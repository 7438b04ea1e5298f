from bot.chunking import chunk_corpus, chunk_document, role_of
from bot.corpus import Document, load_corpus
from tests.conftest import CORPUS


def _doc(text: str) -> Document:
    return Document(doc_id="d.md", title="T", source="S", text=text)


def test_list_items_travel_with_their_lead_in() -> None:
    doc = _doc(
        "## Duties\n\nHere are the key responsibilities of a Product Manager:\n"
        "- Analyzing the market and competitive conditions,\n- Creating the product vision for the customers,\n"
    )
    chunks = chunk_document(doc)
    texts = [c.text for c in chunks]
    assert any(
        t.startswith("Here are the key responsibilities of a Product Manager:") and "Analyzing the market" in t
        for t in texts
    )
    assert all("Product Manager" in t for t in texts)
    assert {c.role for c in chunks} == {"PM"}
    assert {c.section for c in chunks} == {"Duties"}


def test_lead_in_separated_by_a_blank_line_still_travels() -> None:
    doc = _doc(
        "The PO is accountable for backlog management, which includes:\n\n* Writing user stories for the team.\n"
    )
    (chunk,) = chunk_document(doc)
    assert chunk.text.startswith("The PO is accountable") and "Writing user stories" in chunk.text
    assert chunk.role == "PO"


def test_table_rows_keep_their_column_headers() -> None:
    doc = _doc(
        "## Compare\n\n| Product Manager | Product Owner |\n|---|---|\n"
        "| Product roadmap. | Backlog, epics, and user stories. |\n"
    )
    (chunk,) = chunk_document(doc)
    assert chunk.text == "Product Manager: Product roadmap. | Product Owner: Backlog, epics, and user stories."


def test_short_forum_reply_stays_whole_and_long_paragraphs_split() -> None:
    reply = "Bryan,\n\nIt is my belief that the roles are the same.\n\nIn Scrum there is no Product Manager role."
    long_para = " ".join(f"Sentence number {i} talks about the Product Owner and the backlog." for i in range(30))
    doc = _doc(f"## Reply, 03:52 pm\n\n{reply}\n\n## Other\n\n{long_para}\n")
    chunks = chunk_document(doc)
    whole = [c for c in chunks if c.section == "Reply, 03:52 pm"]
    assert len(whole) == 1 and "Bryan," in whole[0].text and "no Product Manager role" in whole[0].text
    parts = [c for c in chunks if c.section == "Other"]
    assert len(parts) > 2 and all(len(c.text.split()) <= 90 for c in parts)
    assert " ".join(c.text for c in parts) == long_para  # nothing lost


def test_every_chunk_knows_document_section_and_ids_are_sequential() -> None:
    chunks = chunk_corpus(load_corpus(CORPUS))
    assert [c.chunk_id for c in chunks] == list(range(len(chunks)))
    assert all(c.doc_id and c.title and c.source and c.text.strip() for c in chunks)
    forum = [c for c in chunks if c.doc_id == "scrum-org-forum-2016.md"]
    assert any(c.section.startswith("Reply") for c in forum)


def test_role_hint_only_when_the_text_makes_it_plain() -> None:
    assert role_of("The Product Owner orders the backlog.") == "PO"
    assert role_of("PMs set the strategy.") == "PM"
    assert role_of("The PM studies the customer, whereas the PO makes sure development follows.") is None
    assert role_of("Nothing about roles here.") is None
    assert role_of("Analyzing the market", context="What are the Product Manager's responsibilities?") == "PM"
    assert role_of("the team meets at 3 pm") is None  # lower-case "pm" is a time, not the role
