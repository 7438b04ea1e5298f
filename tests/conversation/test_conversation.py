"""The Conversation on its own: the reply kinds, commands, votes, the shared pool; and both renderers drawing
every kind of Reply (what issues 11 and 12 will add commands and controls to)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import texts
from bot.conversation import CLI, Context, Conversation, Reply, ReplyKind
from bot.render import slack as slack_render
from bot.render import teams as teams_render
from bot.store import FeedbackStore, make_engine
from bot.store.tables import feedback
from tests.fakes.answerer import FakeAnswerer

WHERE = Context("slack", "T1", "C1", "1700000000.000100", "U1")


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))


def test_each_reply_kind(store: FeedbackStore) -> None:
    conversation = Conversation(FakeAnswerer(), store)
    assert conversation.reply_now("  ", CLI).kind is ReplyKind.USAGE
    answer = conversation.reply_now("who decides the price?", CLI)
    assert answer.kind is ReplyKind.ANSWER and answer.answer and answer.answer.recommendation == "PM"
    crash = conversation.reply_now("boom", CLI)
    assert (crash.kind, crash.text) == (ReplyKind.APOLOGY, texts.SORRY)
    # Every reply carries its own id, which a vote on it refers back to.
    ids = {conversation.reply_now("who orders the backlog?", CLI).answer_id for _ in range(3)}
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)


def test_a_registered_command_word_gets_its_reply_and_the_context() -> None:
    seen: list[tuple[str, Context]] = []

    def roles(args: str, where: Context) -> Reply:
        seen.append((args, where))
        return Reply(ReplyKind.COMMAND, text=f"roles: {args}", public=True)

    answerer = FakeAnswerer()
    conversation = Conversation(answerer, commands={"Roles": roles})
    reply = conversation.reply_now("ROLES po=@dana", WHERE)
    assert (reply.kind, reply.text, reply.public) == (ReplyKind.COMMAND, "roles: po=@dana", True)
    assert seen == [("po=@dana", WHERE)] and answerer.calls == []
    assert WHERE.scope == ("slack", "T1", "C1")


def test_votes_are_stored_with_the_context_and_thanked(store: FeedbackStore) -> None:
    conversation = Conversation(FakeAnswerer(), store)
    reply = conversation.record_vote("down", WHERE, question="who prices?", recommendation="PM", answer_id="a1")
    assert (reply.kind, reply.text) == (ReplyKind.NOTICE, texts.THANKS["down"])
    assert store.report() == [("slack", "PM", "down", 1)]
    lost = conversation.record_vote("sideways", WHERE, question="q", recommendation="PM", answer_id=None)
    assert (lost.kind, lost.text) == (ReplyKind.APOLOGY, texts.LOST_BUTTON)
    unstored = Conversation(FakeAnswerer()).record_vote("up", WHERE, question="q", recommendation="PM", answer_id=None)
    assert unstored.text == texts.FEEDBACK_LOST


def test_a_vote_keeps_why_on_every_platform(store: FeedbackStore) -> None:
    conversation = Conversation(FakeAnswerer(), store)
    teams = Context("teams", "tenant-1", "19:c", None, "aad-1")
    reply = asyncio.run(
        conversation.vote(
            "down",
            teams,
            question="who prices?",
            recommendation="PM",
            answer_id="a1",
            reason="wrong_role",
            comment="It's the PO here",
        )
    )
    assert reply.text == texts.THANKS["down"]
    conversation.record_vote(
        "down", WHERE, question="q", recommendation="PO", answer_id=None, reason="made-up", comment="  "
    )
    conversation.record_vote("up", WHERE, question="q", recommendation="PO", answer_id=None)
    with store.engine.connect() as conn:
        kept = [tuple(r) for r in conn.execute(select(feedback.c.platform, feedback.c.reason, feedback.c.comment))]
    assert kept == [("teams", "wrong_role", "It's the PO here"), ("slack", "other", None), ("slack", None, None)]


def test_the_welcome_says_who_the_bot_is_and_offers_three_questions() -> None:
    reply = Conversation(FakeAnswerer()).welcome()
    assert (reply.kind, reply.text) == (ReplyKind.WELCOME, texts.WELCOME)
    assert len(texts.WELCOME_EXAMPLES) == 3
    teams = teams_render.render_reply(reply)
    assert teams.card is not None and all(q in str(teams.card.model_dump()) for q in texts.WELCOME_EXAMPLES)
    assert slack_render.render_reply(reply).text  # a platform without its own welcome still says something


def test_answers_run_on_the_conversations_own_bounded_pool() -> None:
    gate = threading.Event()
    answerer = FakeAnswerer(gate=gate)
    conversation = Conversation(answerer, workers=2)
    threads: list[str] = []
    real_answer = answerer.answer

    def answer(question: str):
        threads.append(threading.current_thread().name)
        return real_answer(question)

    answerer.answer = answer  # type: ignore[method-assign]

    async def burst() -> list[Reply]:
        tasks = [asyncio.ensure_future(conversation.reply("who decides the price?", CLI)) for _ in range(5)]
        await asyncio.sleep(0.2)
        assert len(answerer.calls) == 2  # two workers: the other three wait their turn
        gate.set()
        return list(await asyncio.gather(*tasks))

    replies = asyncio.run(burst())
    assert all(r.kind is ReplyKind.ANSWER for r in replies)
    assert {t.split("_")[0] for t in threads} == {"answer"}
    conversation.close()


@pytest.mark.parametrize(
    "reply",
    [
        Reply(ReplyKind.COMMAND, text="Recorded <!channel> & co"),
        Reply.notice("Thanks <@U1>"),
        Reply.apology("Sorry <!here>"),
        Reply.usage("Say more <#C1>"),
    ],
    ids=lambda r: r.kind,
)
def test_both_renderers_draw_every_reply_kind_without_live_mentions(reply: Reply) -> None:
    slack = slack_render.render_reply(reply)
    assert slack.text and "<!" not in slack.text and "<@" not in slack.text and "<#" not in slack.text
    teams = teams_render.render_reply(reply)
    assert teams.text
    shown = reply.text.split(" ")[0]
    assert shown in slack.text and shown in teams.text
    assert (teams.card is not None) == (reply.kind is ReplyKind.USAGE)


def test_background_is_handed_to_the_answerer_only_when_there_is_some() -> None:
    class QuestionOnly:  # an answerer that knows nothing of context, as before issue 12
        def answer(self, question: str):
            return FakeAnswerer().answer(question)

    plain = Conversation(QuestionOnly())
    assert plain.reply_now("who decides the price?", WHERE, "  ").kind is ReplyKind.ANSWER
    answerer = FakeAnswerer()
    conversation = Conversation(answerer)
    asyncio.run(conversation.reply("who decides the price?", WHERE, background="we are a 6-person company"))
    assert (answerer.calls, answerer.contexts) == (["who decides the price?"], ["we are a 6-person company"])
    assert conversation.empty_message().kind is ReplyKind.NOTICE
    assert conversation.empty_message().text == texts.EMPTY_MESSAGE


def test_a_reason_is_attached_to_the_voters_own_thumbs_down(store: FeedbackStore) -> None:
    conversation = Conversation(FakeAnswerer(), store)
    vote = dict(question="who decides the price?", recommendation="PM", answer_id="a1")
    assert conversation.record_vote("down", WHERE, **vote).text == texts.THANKS["down"]
    done = conversation.record_reason(WHERE, answer_id="a1", reason="misunderstood", comment="I meant the PO")
    assert done.text == texts.REASON_THANKS
    assert store.reasons() == [("slack", "misunderstood", 1)]
    elsewhere = Context("slack", "T2", "C1", None, "U1")  # the same user id in another workspace
    assert conversation.record_reason(elsewhere, answer_id="a1", reason="other", comment=None).text == texts.REASON_LOST
    assert conversation.record_reason(WHERE, answer_id=None, reason="other", comment=None).text == texts.REASON_LOST
    assert Conversation(FakeAnswerer()).record_reason(WHERE, answer_id="a1", reason="other", comment=None).text == (
        texts.REASON_LOST
    )  # no store at all
