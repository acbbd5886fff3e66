"""The `supportbot` command line: serve, ask, chat, hours, check, eval.

Exit codes: 0 success; 1 a knowledge or query file that cannot be used; 2 bad usage or
configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bots import evaluation
from bots.core import build_conversation, build_responder
from bots.settings import Settings, SettingsError, database_failure, load_knowledge_settings, load_settings
from faq import compiled, phrasings
from faq.loader import builtin_path, load
from faq.model import KnowledgeError
from handlers import texts
from handlers.hours import TOKYO, SupportHours
from handlers.messages import ConversationKey, Incoming
from handlers.responder import Answer, Responder

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
# Support hours look a year ahead and the holiday calendar needs real years.
MIN_YEAR, MAX_YEAR = 1970, 9000


def _moment(value: str) -> datetime:
    """An --at value: ISO 8601, read as Tokyo time when it has no offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from exc
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"year must be between {MIN_YEAR} and {MAX_YEAR}: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)


def _port(value: str) -> int:
    """A --port value: a TCP port, 1-65535."""
    try:
        port = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from exc
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535: {value!r}")
    return port


def _now(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(TOKYO)


def _text_argument(value: str) -> str:
    # Bytes that are not UTF-8 reach argv as lone surrogates; they must not reach the output.
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supportbot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the webhook server")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=_port, default=None, help="default: $PORT, else 8080")

    ask = sub.add_parser("ask", help="answer one question ('-' reads one question a line from stdin)")
    ask.add_argument("text", type=_text_argument)
    ask.add_argument("--json", action="store_true", help="one JSON object a line")
    ask.add_argument("--at", type=_moment, help="fix 'now' (ISO 8601; no offset means Tokyo time)")
    ask.add_argument("--top", type=int, default=3, help="how many ranked entries to report (default 3)")

    sub.add_parser("chat", help="talk to the bot in the terminal")
    sub.add_parser("migrate", help="create or upgrade the database schema (the Procfile's release step)")

    hours = sub.add_parser("hours", help="are phone and chat support open")
    hours.add_argument("--json", action="store_true")
    hours.add_argument("--at", type=_moment)

    check = sub.add_parser("check", help="validate a knowledge file")
    check.add_argument("file", nargs="?", type=Path)

    ev = sub.add_parser("eval", help="score a labelled query set (JSON lines)")
    ev.add_argument("file", type=Path)
    ev.add_argument("--at", type=_moment)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args.file)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "serve":
            from bots.server import serve

            return serve(settings, args.host, args.port)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "hours":
            return _hours(settings, args.json, _now(args.at))
        responder = build_responder(settings)
        if args.command == "ask":
            return _ask(responder, args.text, args.json, args.at, args.top)
        if args.command == "chat":
            return _chat(settings)
        if args.command == "eval":
            return evaluation.run(responder, args.file, _now(args.at), sys.stdout)
    except KnowledgeError as exc:
        _print_problems(exc)
        return EXIT_DATA
    except BrokenPipeError:
        return EXIT_OK
    raise AssertionError(args.command)


async def _migrate(settings: Settings) -> int:
    # Imported here: the database layer is only for this command and the server.
    from handlers.storage import SCHEMA_VERSION, Storage

    storage = Storage(settings.database_url)
    try:
        await storage.init()
    except Exception as exc:
        print(f"supportbot: {database_failure(exc)}", file=sys.stderr)
        return EXIT_USAGE  # a setting that does not work, as for serve
    finally:
        await storage.close()
    print(f"database ready (schema {SCHEMA_VERSION}, {storage.engine.dialect.name})")
    return EXIT_OK


def _answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "query": answer.query,
        "intent": answer.intent.value,
        "faq_id": answer.faq_id,
        "score": answer.score,
        "ranking": [{"faq_id": c.entry.id, "score": c.score} for c in answer.match.ranking],
        "lang": answer.lang,
        "text": answer.reply.text,
    }


def _stdin_lines() -> Iterator[str]:
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        line = raw.rstrip(b"\r\n")
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            print(f"supportbot: line {number}: invalid UTF-8, undecodable bytes replaced", file=sys.stderr)
            yield line.decode("utf-8", errors="replace")


def _ask(responder: Responder, text: str, as_json: bool, at: datetime | None, top: int) -> int:
    if top < 0:
        print("supportbot: --top must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    queries: Iterator[str] = _stdin_lines() if text == "-" else iter([text])
    batch = text == "-"
    out = sys.stdout
    for query in queries:
        answer = responder.answer(query, _now(at), top=top)
        if as_json:
            out.write(json.dumps(_answer_json(answer), ensure_ascii=False) + "\n")
        elif batch:
            out.write(" ".join(answer.reply.text.splitlines()) + "\n")  # \r, U+2028 and the like too
        else:
            out.write(answer.reply.text + "\n")
            _write_quick_replies(out, answer)
        if batch:
            out.flush()
    return EXIT_OK


def _write_quick_replies(out: TextIO, answer: Answer) -> None:
    if answer.reply.quick_replies:
        out.write(" ".join(f"[{i}] {q.label}" for i, q in enumerate(answer.reply.quick_replies, 1)) + "\n")


def _hours(settings: Settings, as_json: bool, at: datetime) -> int:
    hours = SupportHours.with_closed_dates(settings.support_closed_dates)
    if as_json:
        statuses = hours.statuses(at)
        payload = {
            "at": at.astimezone(TOKYO).isoformat(),
            "channels": {
                s.channel.name: {
                    "open": s.open,
                    "opens_at": s.opens_at.isoformat() if s.opens_at else None,
                    "closes_at": s.closes_at.isoformat() if s.closes_at else None,
                }
                for s in statuses
            },
        }
        print(json.dumps(payload, ensure_ascii=False))
        return EXIT_OK
    print(texts.hours_text("ja", hours, at))
    return EXIT_OK


def _chat(settings: Settings) -> int:
    conversation = build_conversation(settings)
    key = ConversationKey("terminal", "terminal", "you")
    interactive = sys.stdin.isatty()
    last_quick: list[str] = []
    print("supportbot chat: ask a question (Ctrl-D or 'exit' to quit; a number taps a suggestion).")
    for line in _prompted_lines(interactive):
        text = line.strip()
        if text.lower() in ("exit", "quit", ":q"):
            break
        if text.isdigit() and 1 <= int(text) <= len(last_quick):
            text = last_quick[int(text) - 1]
        replies = asyncio.run(conversation.handle(Incoming(key, text, datetime.now(TOKYO))))
        for reply in replies:
            print(reply.text)
            last_quick = [q.text for q in reply.quick_replies]
            if reply.quick_replies:
                print(" ".join(f"[{i}] {q.label}" for i, q in enumerate(reply.quick_replies, 1)))
        print()
    return EXIT_OK


def _prompted_lines(interactive: bool) -> Iterator[str]:
    while True:
        try:
            yield input("> " if interactive else "")
        except EOFError:
            return
        except UnicodeDecodeError:
            print("(could not read that line as UTF-8)")


def _check(file: Path | None) -> int:
    path = file
    if path is None:
        try:
            path = load_knowledge_settings().faq_path or builtin_path()
        except SettingsError as exc:
            print(f"supportbot: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        kb = load(path)
    except KnowledgeError as exc:
        _print_problems(exc)
        return EXIT_DATA
    learning = (
        "the phrasing model learns from them"
        if phrasings.enough(kb.examples)
        else f"too few for the phrasing model: it needs {phrasings.MIN_EXAMPLES}, some of them @none"
    )
    ja = sum(1 for e in kb.entries if "ja" in e.questions)
    en = sum(1 for e in kb.entries if "en" in e.questions)
    print(
        f"{kb.source}: OK, {len(kb.entries)} entries (ja questions {ja}, en questions {en}), "
        f"{len(kb.synonyms)} synonym groups, {len(kb.examples)} labelled examples "
        f"({learning}), compiled file {compiled.status(kb)}, version {kb.version}"
    )
    for warning in kb.warnings:
        print(f"{kb.source}: warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _print_problems(exc: KnowledgeError) -> None:
    for problem in exc.problems:
        print(f"{exc.source}: {problem}", file=sys.stderr)
    print(f"{exc.source}: {len(exc.problems)} problem(s)", file=sys.stderr)
