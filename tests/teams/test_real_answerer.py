"""End to end with the real engine: the real Answerer (MiniLM + FAISS + BM25 + rules) behind the Teams route."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from bot.results import HEADLINES
from bot.settings import Settings
from tests.teams.conftest import TeamsServer, feedback_invoke, message

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def real_answerer(tmp_path_factory: pytest.TempPathFactory):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bot.answer import Answerer

    # A private index directory: the shipped corpus, indexed once for this session.
    return Answerer.from_settings(Settings(index_dir=tmp_path_factory.mktemp("teams-index") / "index"))


@pytest.fixture
def server(make_server: Callable[..., TeamsServer], real_answerer) -> TeamsServer:
    return make_server(Settings(teams_allow_unauthenticated=True), with_answerer=real_answerer)


def _card(server: TeamsServer) -> dict:
    [card] = server.connector.messages[-1].cards()
    return card


def test_real_answer_in_a_channel_thread_with_sources_and_why(server: TeamsServer) -> None:
    activity = message(
        server.connector.url,
        "<at>whodecides</at> who should decide the pricing of the enterprise tier, the PO or the PM?",
        scope="channel",
        mention=True,
    )
    assert server.post(activity).status_code == 200
    assert [p.type for p in server.connector.posted] == ["typing", "message"]
    card = _card(server)
    assert card["body"][0]["text"] == HEADLINES["PM"]
    sources = [e for e in card["body"] if e["type"] == "Container" and e.get("style") == "emphasis"]
    assert len(sources) == 3
    why = next(a for a in card["actions"] if a["type"] == "Action.ShowCard")
    why_texts = [
        run["text"]
        for item in why["card"]["body"]
        if item["type"] == "Container"
        for block in item["items"]
        if block["type"] == "RichTextBlock"
        for run in block["inlines"]
    ]
    assert why_texts, "the Why? detail quotes the rule's citations"
    corpus = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in Settings().corpus_dir.glob("*.md"))
    for quote in why_texts:
        text = quote.strip("“”").removesuffix("…")
        assert text in corpus  # each citation quoted verbatim from the corpus


def test_real_answer_to_twenty_thousand_characters_carries_the_truncation_note(server: TeamsServer) -> None:
    question = "Who decides the price of the enterprise tier? " + "Some more background here. " * 800
    assert len(question) >= 20_000
    assert server.post(message(server.connector.url, question)).status_code == 200
    card = _card(server)
    assert card["body"][0]["text"] == HEADLINES["PM"]
    assert "Your message was long" in str(card)


def test_real_answer_feedback_round_trip(server: TeamsServer) -> None:
    server.post(message(server.connector.url, "Who orders the product backlog?"))
    card = _card(server)
    assert card["body"][0]["text"] == HEADLINES["PO"]
    answer_id = server.connector.messages[-1].id
    server.post(feedback_invoke(server.connector.url, "dislike", '{"feedbackText":"wrong role"}', reply_to=answer_id))
    assert server.feedback_store.summary(platform="teams") == {"up": 0, "down": 1}


def test_real_answer_to_emoji_only_is_unknown_with_examples(server: TeamsServer) -> None:
    server.post(message(server.connector.url, "🙂🙂🙂"))
    card = _card(server)
    assert card["body"][0]["text"] == HEADLINES["UNKNOWN"]
    assert any(e["type"] == "ActionSet" for e in card["body"])


def test_every_prompt_starter_gets_a_real_answer_with_citations(real_answerer) -> None:
    from bot.conversation import Reply
    from bot.render import teams as render
    from bot.teams import package

    for title, _ in package.COMMANDS:
        if title == "help":
            continue
        answer = real_answerer.answer(title)
        assert answer.recommendation != "UNKNOWN", title  # a starter the bot cannot answer would be a poor start
        out = render.render_reply(Reply.of(answer))
        assert out.cited is not None and len(out.cited.citations) == len(render.shown_passages(answer)) > 0, title
