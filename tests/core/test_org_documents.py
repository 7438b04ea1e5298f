"""Org documents (`authority: org`) outrank the articles: carried from front matter to the index, matched to the
question, followed by the answer. A temporary corpus (the shipped one plus tests/data/org/acme-charter.md) and
index in tmp_path, embedded by the deterministic fake encoder; the intent router is fitted on it."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

import bot.index as index_mod
from bot.answer import Answerer
from bot.authority import set_aside_conflicts
from bot.chunking import chunk_document
from bot.corpus import ORG, read_document
from bot.errors import WhodecidesError
from bot.index import MANIFEST, Index, ensure_index, stale_reasons
from bot.results import Answer, Owner, Passage
from bot.role_statement import role_statements, stated_role
from bot.router import Router
from bot.rules import RuleBook, load_rules
from tests.conftest import CORPUS, ROOT
from tests.fakes.encoder import HashEncoder

MODEL = "fake-hash-encoder"
CHARTER = ROOT / "tests" / "data" / "org" / "acme-charter.md"
PRICE = "Who decides the price of the enterprise tier?"


def org_corpus(folder: Path) -> Path:
    shutil.copytree(CORPUS, folder)
    shutil.copy(CHARTER, folder / CHARTER.name)
    return folder


@pytest.fixture(scope="module")
def shipped_router() -> Router:
    return Router.build(load_rules(), HashEncoder())


@pytest.fixture(scope="module")
def org_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    tmp = tmp_path_factory.mktemp("org")
    folder = tmp / "index"
    Index.build(org_corpus(tmp / "corpus"), HashEncoder(), MODEL).save(folder)
    return Index.load(folder)


@pytest.fixture(scope="module")
def plain_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return Index.build(CORPUS, HashEncoder(), MODEL)


def make_answerer(index: Index, router: Router | None, rules: RuleBook | None = None) -> Answerer:
    return Answerer(index, HashEncoder(), rules or load_rules(), router)


# --- carried through ---------------------------------------------------------------------------------
def test_front_matter_authority_org_reaches_the_chunks(tmp_path: Path) -> None:
    doc = read_document(CHARTER)
    assert doc is not None and doc.authority == ORG
    chunks = chunk_document(doc)
    assert chunks and all(c.authority == ORG for c in chunks)
    article = read_document(CORPUS / "glossary.md")
    assert article is not None and article.authority == ""


def test_an_unknown_authority_is_an_article_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nauthority: orgg\n---\n# X\n\nThe PO sets the price.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        doc = read_document(path)
    assert doc is not None and doc.authority == ""
    assert "unknown `authority: orgg`" in caplog.text


def test_the_saved_index_lists_org_documents_and_keeps_each_chunks_authority(org_index: Index) -> None:
    assert org_index.folder is not None
    assert org_index.manifest.org_docs == [CHARTER.name]
    manifest = json.loads((org_index.folder / MANIFEST).read_text())
    assert manifest["org_docs"] == [CHARTER.name] and manifest["format_version"] == index_mod.FORMAT_VERSION
    org = org_index.chunks.of_doc(CHARTER.name)
    assert org and all(c.authority == ORG for c in org)
    assert all(c.authority == "" for c in org_index.chunks.of_doc("glossary.md"))


def test_an_index_of_the_format_before_authority_is_rebuilt(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    corpus, folder = org_corpus(tmp_path / "corpus"), tmp_path / "index"
    Index.build(corpus, HashEncoder(), MODEL).save(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["format_version"] = index_mod.FORMAT_VERSION - 1  # built before chunks carried their authority
    del manifest["org_docs"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert stale_reasons(folder, corpus, MODEL) == ["the index format changed"]
    rebuilt = ensure_index(corpus, folder, HashEncoder(), MODEL)
    assert "the index format changed" in capsys.readouterr().err
    assert rebuilt.manifest.org_docs == [CHARTER.name]


def test_turning_a_document_into_an_org_document_makes_the_index_stale(tmp_path: Path) -> None:
    corpus, folder = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    (corpus / "charter.md").write_text("# Charter\n\nAt ACME the Product Owner sets the price.\n")
    Index.build(corpus, HashEncoder(), MODEL).save(folder)
    (corpus / "charter.md").write_text(
        "---\nauthority: org\n---\n# Charter\n\nAt ACME the Product Owner sets the price.\n"
    )
    assert stale_reasons(folder, corpus, MODEL) == ["the corpus changed"]
    assert ensure_index(corpus, folder, HashEncoder(), MODEL).manifest.org_docs == ["charter.md"]


# --- the answer follows the org ------------------------------------------------------------------------
def test_without_the_charter_the_articles_give_pricing_to_the_pm(plain_index: Index, shipped_router: Router) -> None:
    ans = make_answerer(plain_index, shipped_router).answer(PRICE)
    assert ans.recommendation == "PM" and ans.authority is None
    assert ans.to_dict()["authority"] is None


def test_the_charter_overrides_the_rules_with_the_article_passages_still_shown(
    org_index: Index, shipped_router: Router
) -> None:
    ans = make_answerer(org_index, shipped_router).answer(PRICE)
    assert ans.recommendation == "PO"
    assert ans.authority is not None and ans.authority.owner == "PO" and ans.authority.articles == "PM"
    assert ans.authority.quote == "At ACME the Product Owner sets the price."
    first, *rest = ans.passages
    assert first.doc_id == CHARTER.name and first.authority == ORG and "Product Owner sets the price" in first.text
    assert rest and all(p.doc_id != CHARTER.name for p in rest)  # the articles, as background
    assert any("pricing analysis" in p.text for p in rest)  # the passage the PM rule cites
    assert [p.score for p in ans.passages] == sorted((p.score for p in ans.passages), reverse=True)
    assert "ACME role charter" in ans.rationale and stated_role(ans.rationale) == "PO"
    assert ans.notes[0].startswith("The general articles differ") and "Product Manager decides" in ans.notes[0]
    assert "Product Owner" not in ans.consulted and ans.consulted[0] == "Product Manager"
    assert [r.id for r in ans.rules] == ["pm-pricing"]  # what the articles said, for Why?
    d = ans.to_dict()
    assert d["authority"]["owner"] == "PO" and d["authority"]["doc"] == CHARTER.name
    assert d["authority"]["articles"] == "PM" and d["recommendation"] == "PO"


def test_when_the_articles_agree_the_note_says_so(org_index: Index, shipped_router: Router) -> None:
    ans = make_answerer(org_index, shipped_router).answer("Who owns the product roadmap?")
    assert ans.recommendation == "PM" and ans.authority is not None and not ans.authority.articles_differ
    assert ans.notes[0] == "The general articles agree." and ans.passages[0].doc_id == CHARTER.name


def test_questions_the_charter_does_not_cover_are_answered_by_the_rules(
    org_index: Index, plain_index: Index, shipped_router: Router
) -> None:
    with_org, without = make_answerer(org_index, shipped_router), make_answerer(plain_index, shipped_router)
    for q in ("Who orders the product backlog?", "Who writes user stories?"):
        a, b = with_org.answer(q), without.answer(q)
        assert a.authority is None and a.recommendation == b.recommendation and a.rationale == b.rationale
    assert with_org.answer("What's the weather like in Paris today?").authority is None


def test_a_sentence_that_names_no_decider_never_decides(org_index: Index, shipped_router: Router) -> None:
    answerer = make_answerer(org_index, shipped_router)
    assert all(s.statement.role is not None for s in answerer.org.statements)
    assert not any("office manager" in s.statement.sentence for s in answerer.org.statements)


# --- rules quoting the corpus ----------------------------------------------------------------------------
def test_the_shipped_rules_quote_the_corpus(plain_index: Index) -> None:
    make_answerer(plain_index, None)  # would raise


def test_an_org_rules_file_quoting_what_the_corpus_lacks_is_refused(plain_index: Index, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: acme-pricing\n"
        "    owner: PO\n"
        "    triggers: [price]\n"
        "    rationale: At ACME the PO prices.\n"
        "    citations:\n"
        "      - doc: glossary.md\n"
        "        quote: The PO sets every price at ACME.\n"
    )
    with pytest.raises(WhodecidesError) as caught:
        make_answerer(plain_index, None, load_rules(rules))
    msg = caught.value.message
    assert "rule acme-pricing" in msg and "“The PO sets every price at ACME.”" in msg and str(rules) in msg


def test_a_citation_of_a_missing_document_is_refused(plain_index: Index, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - id: pm-pricing\n    owner: PM\n    triggers: [price]\n    rationale: r.\n"
        "    citations:\n      - {doc: charter.md, quote: The PM sets prices.}\n"
    )
    with pytest.raises(WhodecidesError, match=r"rule pm-pricing cites charter\.md, which is not in the corpus"):
        make_answerer(plain_index, None, load_rules(rules))


def test_a_quote_differing_only_in_white_space_and_quote_marks_is_accepted(plain_index: Index, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - id: po-epics\n    owner: PO\n    triggers: [epics]\n    rationale: r.\n"
        '    citations:\n      - {doc: glossary.md, quote: "Backlog,   epics, and\\n user stories."}\n'
    )
    make_answerer(plain_index, None, load_rules(rules))


# --- disabling a rule ------------------------------------------------------------------------------------
DISABLED = ("pm-pricing", "pm-launch-release-planning", "po-backlog-order")


@pytest.fixture(scope="module")
def disabled_book(tmp_path_factory: pytest.TempPathFactory) -> RuleBook:
    path = tmp_path_factory.mktemp("rules") / "org-rules.yaml"
    path.write_text("rules:\n" + "".join(f"  - id: {rid}\n    enabled: false\n" for rid in DISABLED))
    return load_rules(path)


@pytest.fixture(scope="module")
def disabled_router(disabled_book: RuleBook) -> Router:
    return Router.build(disabled_book, HashEncoder())


def _opposite(owner: str) -> str | None:
    return {"PO": "PM", "PM": "PO"}.get(owner)


@pytest.mark.parametrize("index_name", ["plain_index", "org_index"])
def test_a_disabled_rule_never_leaves_a_rationale_naming_the_other_role(
    request: pytest.FixtureRequest, index_name: str, disabled_book: RuleBook, disabled_router: Router
) -> None:
    shipped = load_rules()
    answerer = make_answerer(request.getfixturevalue(index_name), disabled_router, disabled_book)
    asked = 0
    for rid in DISABLED:
        rule = shipped.by_id(rid)
        for q in [*rule.examples[:12], PRICE, "Who decides the release date?"]:
            ans = answerer.answer(q)
            assert rid not in [r.id for r in ans.rules]
            assert ans.rationale
            if ans.recommendation in ("PO", "PM"):
                # The rationale may mention the other role ("…; the PM keeps the roadmap") but never as the decider.
                assert stated_role(ans.rationale) != _opposite(ans.recommendation), (q, ans.rationale)
            asked += 1
    assert asked >= 30


def test_a_disabled_rule_with_the_charter_answers_from_the_charter(
    org_index: Index, disabled_book: RuleBook, disabled_router: Router
) -> None:
    ans = make_answerer(org_index, disabled_router, disabled_book).answer(PRICE)
    assert ans.recommendation == "PO" and ans.authority is not None
    assert "pm-pricing" not in [r.id for r in ans.rules] and stated_role(ans.rationale) == "PO"


# --- an org passage that did not decide is not a source for the other role ----------------------------------
def _answer(recommendation: str, passages: tuple[Passage, ...]) -> Answer:
    return Answer("q", Owner(recommendation), 0.8, (), "r", passages=passages, notes=("a note",))


def _passage(text: str, authority: str = "", title: str = "ACME role charter") -> Passage:
    return Passage(text=text, title=title, source="s", section="", score=0.5, authority=authority)


def test_an_org_passage_giving_the_decision_to_another_role_becomes_a_note() -> None:
    charter = _passage("At ACME the Product Owner sets the price.", ORG)
    article = _passage("Pricing analysis sits with the product manager.", title="An article")
    out = set_aside_conflicts(_answer("PM", (article, charter)))
    assert out.passages == (article,)
    assert out.notes[0].startswith("ACME role charter, your organisation's own document, gives a related decision")
    assert "Product Owner: “At ACME the Product Owner sets the price.”" in out.notes[0]
    assert out.notes[1:] == ("a note",)


@pytest.mark.parametrize(
    ("recommendation", "text", "authority"),
    [
        ("PO", "At ACME the Product Owner sets the price.", ORG),  # it agrees
        ("PM", "At ACME the Product Owner sets the price.", ""),  # an article, not the org's word
        ("PM", "ACME sells three tiers.", ORG),  # it names no decider
        ("UNKNOWN", "At ACME the Product Owner sets the price.", ORG),  # nothing to contradict
    ],
)
def test_other_passages_stay_sources(recommendation: str, text: str, authority: str) -> None:
    ans = _answer(recommendation, (_passage(text, authority),))
    assert set_aside_conflicts(ans) == ans


def test_an_org_list_of_short_rulings_gives_one_ruling_per_item(tmp_path: Path) -> None:
    path = tmp_path / "charter.md"
    path.write_text(
        "---\nauthority: org\n---\n# Charter\n\nDecision rights at ACME:\n\n"
        "- The PO sets the price\n- The PM owns the roadmap\n- Hiring is decided by HR\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc is not None
    rulings = [(s.role, s.decision) for c in chunk_document(doc) for s in role_statements(c.text)]
    assert rulings == [("PO", "the price"), ("PM", "the roadmap")]
    # An article's short items are still grouped, so a chunk says something.
    path.write_text(path.read_text().replace("authority: org", "title: not ours"), encoding="utf-8")
    article = read_document(path)
    assert article is not None and len(chunk_document(article)) < len(chunk_document(doc))
