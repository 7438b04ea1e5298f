"""whodecides ask | chat | run | eval | index | serve | socket | feedback | agreements | db upgrade | teams-package.

The entry point: `main` configures the process (bot.process) once, and every command takes its answerer and
stores from one runtime (bot.runtime.build_runtime).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from bot.conversation import AnswererLike
from bot.errors import UsageError, WhodecidesError
from bot.process import configure_process, settle_for_serving
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.texts import USAGE, one_line

log = logging.getLogger("whodecides")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/, env WHODECIDES_CORPUS)")
    common.add_argument("--index", dest="index_dir", type=Path, help="index folder (env WHODECIDES_INDEX)")
    common.add_argument("--rules", type=Path, help="extra/override rules YAML (env WHODECIDES_RULES)")
    common.add_argument("--model", help="embedding model folder or name (env WHODECIDES_MODEL)")
    common.add_argument("--debug", action="store_true", help="show tracebacks")

    p = argparse.ArgumentParser(prog="whodecides", description="Who decides: the Product Owner or the Product Manager?")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    ask = sub.add_parser("ask", parents=[common], help="answer a question (or questions on stdin)")
    ask.add_argument("question", nargs="*", help="the question; none: read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--scope", help="answer as in a channel: slack:TEAM_ID:CHANNEL_ID or teams:TENANT:CONVERSATION")
    sub.add_parser("chat", parents=[common], help="a local chat in the terminal (until exit, quit or end of input)")
    sub.add_parser("run", parents=[common], help="serve when Slack/Teams are configured, else a local chat")
    ev = sub.add_parser("eval", parents=[common], help="score a labelled .jsonl file")
    ev.add_argument("file", type=Path)
    ev.add_argument("--retrieval", action="store_true", help="also compare dense, lexical and hybrid retrieval")
    ev.add_argument("--half", choices=["tune", "check"], help="only one half of the set (split by a hash of `q`)")
    idx = sub.add_parser("index", parents=[common], help="rebuild the index from the corpus")
    idx.add_argument(
        "--if-stale", action="store_true", help="only when missing, stale (corpus, model or chunker) or corrupt"
    )
    idx.add_argument("--verify", action="store_true", help="check every index file's content, rebuild nothing")
    serve = sub.add_parser("serve", parents=[common], help="HTTP server for Slack and Teams")
    serve.add_argument("--port", type=int, help="port (default: $PORT, else 3000)")
    sub.add_parser("socket", parents=[common], help="Slack Socket Mode (needs SLACK_APP_TOKEN)")
    fb = sub.add_parser("feedback", parents=[common], help="the 👍/👎 feedback stored in DATABASE_URL")
    fb.add_argument("--json", action="store_true", help="one JSON object per row ([] when there is none)")
    ag = sub.add_parser("agreements", parents=[common], help="a channel's agreements: list, add, remove, export")
    ag.add_argument("action", choices=["list", "add", "remove", "export"])
    ag.add_argument("words", nargs="*", help="add: OWNER DECISION (e.g. PO the release date); remove: N")
    ag.add_argument("--scope", help="slack:TEAM_ID:CHANNEL_ID or teams:TENANT:CONVERSATION")
    ag.add_argument("--workspace", action="store_true", help="add: for the whole workspace or tenant")
    ag.add_argument("--format", choices=["md", "csv", "json"], default="md", help="export: the page's format")
    ag.add_argument("--all", action="store_true", help="export: with removed agreements (every scope if no --scope)")
    ag.add_argument("--by", default="cli", help="add/remove: who is recorded as doing it (default: cli)")
    db = sub.add_parser("db", parents=[common], help="the database in DATABASE_URL: schema migrations")
    db.add_argument("action", choices=["upgrade", "current"], help="upgrade: migrate to the newest revision")
    pkg = sub.add_parser("teams-package", parents=[common], help="build the Teams app package (zip)")
    pkg.add_argument("--out", type=Path, help="zip path (default: dist/whodecides-teams.zip)")
    return p


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=getattr(args, "corpus", None),
        index_dir=getattr(args, "index_dir", None),
        rules_path=getattr(args, "rules", None),
        model_path=getattr(args, "model", None),
    )


SERVING_COMMANDS = ("serve", "socket", "run")


def _answerer(settings: Settings, *, progress: bool = False, one_shot: bool = False) -> AnswererLike:
    return build_runtime(settings, progress=progress, one_shot=one_shot).answerer


def _usage_json(question: str, message: str) -> dict[str, Any]:
    return {
        "question": question,
        "recommendation": "UNKNOWN",
        "confidence": 0.0,
        "consulted": [],
        "rationale": message,
        "rules": [],
        "passages": [],
        "error": "usage",
    }


EXIT_WORDS = {"exit", "quit", "/exit", "/quit"}


def _ask_lines(
    answerer: AnswererLike,
    lines: Iterable[str],
    out: TextIO,
    *,
    as_json: bool,
    prompt: bool = False,
    chat: bool = False,
) -> None:
    from bot.render.text import render_text

    if prompt:
        out.write("> ")
        out.flush()
    for raw in lines:
        line = raw.rstrip("\n")
        if chat and line.strip().lower() in EXIT_WORDS:
            break
        try:
            ans = answerer.answer(line)
        except UsageError as exc:
            if as_json:
                out.write(json.dumps(_usage_json(line, exc.message), ensure_ascii=False) + "\n")
            elif line.strip() or not prompt:
                out.write(exc.message + "\n\n")
        else:
            if as_json:
                out.write(json.dumps(ans.to_dict(), ensure_ascii=False) + "\n")
            else:
                out.write(render_text(ans) + "\n\n")
        if prompt:
            out.write("> ")
        out.flush()
    if prompt:
        out.write("\n")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    question = " ".join(args.question)
    if args.question and not question.strip():
        print(USAGE, file=sys.stderr)
        return 2
    if not args.question and sys.stdin.isatty():
        print(
            'usage: whodecides ask "QUESTION" [--json]  (or pipe questions on stdin)\n\n' + USAGE,
            file=sys.stderr,
        )
        return 2
    if args.scope:
        from bot.agreements.cli import ScopedAnswerer

        answerer: AnswererLike = ScopedAnswerer(build_runtime(settings).conversation, _scope_context(args.scope))
    else:
        answerer = _answerer(settings, one_shot=bool(args.question))  # questions on stdin: a warm encoder pays
    lines = [question] if args.question else sys.stdin
    _ask_lines(answerer, lines, sys.stdout, as_json=args.json)
    return 0


def _scope_context(text: str, user: str = "cli") -> Any:
    from bot.agreements.cli import scope_context

    return scope_context(text, user)


def cmd_agreements(args: argparse.Namespace, settings: Settings) -> int:
    from bot.agreements.cli import run_agreements

    return run_agreements(args, build_runtime(settings))


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    answerer = _answerer(settings, progress=True)
    interactive = sys.stdin.isatty()
    if interactive:
        print("whodecides: ask who should decide something (exit, quit or Ctrl-D to leave).")
    _ask_lines(answerer, sys.stdin, sys.stdout, as_json=False, prompt=interactive, chat=True)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    settings.check_slack()
    settings.check_teams()
    if settings.slack_enabled or settings.teams_enabled or settings.teams_allow_unauthenticated:
        return cmd_serve(argparse.Namespace(port=None), settings)
    logging.getLogger().setLevel(logging.WARNING)  # a terminal chat shows answers, not server logs
    return cmd_chat(args, settings)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluate import evaluate, format_report, half_of, read_cases

    cases = read_cases(args.file)
    if args.half:
        cases = [c for c in cases if half_of(str(c["q"])) == args.half]
    report = evaluate(_answerer(settings), cases, retrieval_modes=args.retrieval)
    print(format_report(report))
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.citations import check_citations
    from bot.embedding import SentenceTransformerEncoder, resolve_model
    from bot.index import Index, build_and_save, stale_reasons
    from bot.router import Router
    from bot.rules import load_rules

    if args.verify:
        return _verify_index(settings)
    model = resolve_model(settings.model_path)
    index = encoder = None
    if args.if_stale:
        try:
            reasons = stale_reasons(settings.index_dir, settings.corpus_dir, model)
            if not reasons:
                index = Index.load(settings.index_dir)
                encoder = index.query_encoder()
        except WhodecidesError as exc:  # corrupt or unreadable counts as stale: rebuild it
            reasons, index = [exc.message], None
        if index is None:
            print(f"Rebuilding the index: {', '.join(reasons).rstrip('.')}.", file=sys.stderr)
    if index is None:
        index = build_and_save(
            settings.corpus_dir, settings.index_dir, SentenceTransformerEncoder(model), model, progress=True
        )
        m = index.manifest
        print(f"Indexed {m.n_chunks} chunks into {settings.index_dir} ({m.index_kind}, dim {m.dim}).")
    else:
        print(f"The index in {settings.index_dir} is up to date.")
    # Fit the intent router too, so the first question after a deploy does not pay for it.
    rules = load_rules(settings.rules_path)
    check_citations(rules, index.chunks.of_doc)  # refused now rather than at the first start
    Router.load_or_build(
        settings.index_dir,
        rules,
        encoder or index.query_encoder(),
        index.manifest.model_fingerprint,
    )
    return 0


def _verify_index(settings: Settings) -> int:
    """Every file's content against the manifest, then the query encoder opened; a problem raises, named."""
    from bot.embedding import resolve_model
    from bot.index import Index, stale_reasons

    index = Index.load(settings.index_dir, full_check=True)
    index.query_encoder()
    m = index.manifest
    print(f"The index in {settings.index_dir} is intact: {len(m.files)} files, {m.n_chunks} chunks.")
    reasons = stale_reasons(settings.index_dir, settings.corpus_dir, resolve_model(settings.model_path))
    if reasons:
        print(f"It is stale ({', '.join(reasons)}): `whodecides index --if-stale` rebuilds it.")
    return 0


def _loaded(runtime: Runtime) -> Runtime:
    """The engine loaded now (a broken index stops the start, not the first answer), then the process
    settled for serving: one faiss thread, the engine's objects frozen out of the collector's sight."""
    runtime.answerer  # noqa: B018 - the property loads it
    settle_for_serving()
    return runtime


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import check_server_settings, serve

    check_server_settings(settings)
    serve(settings, _loaded(build_runtime(settings)), args.port or settings.port)
    return 0


def cmd_socket(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.socket_mode import check_socket_settings, run

    check_socket_settings(settings)
    run(settings, _loaded(build_runtime(settings)))
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """`db upgrade` for a release phase (replicas also upgrade at start); `db current` prints the revision."""
    from bot.store.db import current_revision, head_revision

    engine = build_runtime(settings).engine
    try:
        if args.action == "upgrade":
            from bot.store import upgrade_schema

            upgrade_schema(engine)
        revision = current_revision(engine)
    except Exception as exc:  # a database error is one line, not a traceback
        raise WhodecidesError(f"Cannot reach DATABASE_URL: {type(exc).__name__}: {exc}") from exc
    finally:
        engine.dispose()
    print(f"Database at revision {revision or 'none'} (newest: {head_revision()}).")
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    try:
        store = build_runtime(settings).feedback_store
        rows, reasons, comments = store.report(), store.reasons(), store.comments()
    except Exception as exc:  # a database error is shown as one line, not a traceback
        raise WhodecidesError(f"Cannot read feedback from DATABASE_URL: {type(exc).__name__}: {exc}") from exc
    if args.json:
        if not rows:
            print("[]")  # valid JSON for "nothing yet", rather than no output at all
        for platform, rec, vote, n in rows:
            print(json.dumps({"platform": platform, "recommendation": rec, "vote": vote, "count": n}))
        for platform, reason, n in reasons:
            print(json.dumps({"platform": platform, "reason": reason, "count": n}))
        for platform, reason, question, comment in comments:
            print(json.dumps({"platform": platform, "reason": reason, "question": question, "comment": comment}))
        return 0
    if not rows:
        print("No feedback yet.")
        return 0
    up = sum(n for *_, vote, n in rows if vote == "up")
    down = sum(n for *_, vote, n in rows if vote == "down")
    print(f"Feedback: {up} 👍, {down} 👎")
    print(f"{'platform':<10}{'recommendation':<16}{'vote':<6}{'count':>6}")
    for platform, rec, vote, n in rows:
        print(f"{platform:<10}{rec:<16}{vote:<6}{n:>6}")
    if reasons:
        print("\nWhy 👎:")
        print(f"{'platform':<10}{'reason':<16}{'count':>12}")
        for platform, reason, n in reasons:
            print(f"{platform:<10}{reason:<16}{n:>12}")
    if comments:
        print("\nNewest comments:")
        for platform, reason, question, comment in comments:
            print(f"[{platform}, {reason}] {one_line(question)[:80]} — {one_line(comment)[:300]}")
    return 0


def cmd_teams_package(args: argparse.Namespace, settings: Settings) -> int:
    from bot.teams.package import build

    path = build(settings, args.out)
    print(f"Teams app package: {path}")
    return 0


COMMANDS = {
    "ask": cmd_ask,
    "chat": cmd_chat,
    "run": cmd_run,
    "eval": cmd_eval,
    "index": cmd_index,
    "serve": cmd_serve,
    "socket": cmd_socket,
    "feedback": cmd_feedback,
    "agreements": cmd_agreements,
    "db": cmd_db,
    "teams-package": cmd_teams_package,
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "agreements" and not any(w.startswith("-") for w in extra):
        args.words += extra  # `agreements add --scope S PO the release date`: the words after the options
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    configure_process(verbose=args.command in SERVING_COMMANDS)
    try:
        return COMMANDS[args.command](args, _settings(args))
    except WhodecidesError as exc:
        print(f"whodecides: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        print(
            f"whodecides: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
