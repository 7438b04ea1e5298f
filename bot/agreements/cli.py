"""`whodecides agreements list|add|remove|export` and `whodecides ask --scope`: team memory from a terminal,
through the same TeamMemory the chat commands use."""

from __future__ import annotations

import argparse
import sys

from bot.agreements.export import export
from bot.agreements.store import Scope
from bot.conversation import Context, Conversation, ReplyKind
from bot.errors import UsageError, WhodecidesError
from bot.results import Answer
from bot.runtime import Runtime
from bot.texts import USAGE

SCOPE_HELP = "--scope slack:TEAM_ID:CHANNEL_ID (or teams:TENANT:CONVERSATION), e.g. --scope slack:T0001:C0001"


def scope_context(text: str, user: str = "cli") -> Context:
    """The Context a channel's messages carry, from `--scope`."""
    try:
        scope = Scope.parse(text)
    except ValueError:
        raise UsageError(f"“{text}” is not a scope. Usage: {SCOPE_HELP}") from None
    return Context(scope.platform, scope.workspace, scope.channel or None, None, user)  # type: ignore[arg-type]


class ScopedAnswerer:
    """`ask --scope`: each question goes through the Conversation as if asked in that channel."""

    def __init__(self, conversation: Conversation, context: Context) -> None:
        self.conversation = conversation
        self.context = context

    def answer(self, question: str) -> Answer:
        reply = self.conversation.reply_now(question, self.context)
        if reply.kind is ReplyKind.ANSWER and reply.answer is not None:
            return reply.answer
        if reply.kind is ReplyKind.USAGE:
            raise UsageError(reply.text or USAGE)
        raise WhodecidesError(reply.text)


def run_agreements(args: argparse.Namespace, runtime: Runtime) -> int:
    memory = runtime.team_memory
    if args.action == "export" and args.all and not args.scope:
        rows = memory.store.everything(None, history=True)
        sys.stdout.write(export(rows, args.format, title="every workspace", history=True))
        return 0
    if not args.scope:
        print(f"whodecides: agreements {args.action} needs {SCOPE_HELP}", file=sys.stderr)
        return 2
    rest = " ".join(args.words)
    try:
        context = scope_context(args.scope, args.by)
        if args.action == "export":
            scope = Scope.parse(args.scope)
            rows = memory.store.everything(scope, history=args.all)
            sys.stdout.write(export(rows, args.format, title=str(scope), history=args.all))
            return 0
        if args.action == "list":
            reply = memory.agreements(rest, context)
        elif args.action == "add":
            reply = memory.agree(("--workspace " if args.workspace else "") + rest, context)
        else:
            reply = memory.forget(rest, context)
    except UsageError as exc:
        print(f"whodecides: {exc.message}", file=sys.stderr)
        return 2
    print(reply.text)
    return 0
