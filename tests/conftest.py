from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bots import logs
from faq.loader import load
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from handlers.conversation import Conversation
from handlers.hours import TOKYO, SupportHours
from handlers.intents import IntentRules
from handlers.messages import ConversationKey, Incoming, Reply
from handlers.responder import Responder

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TUE_1030 = datetime(2026, 11, 24, 10, 30, tzinfo=TOKYO)
SAT_1100 = datetime(2026, 11, 28, 11, 0, tzinfo=TOKYO)

Converse = Callable[..., Awaitable[list[Reply]]]


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.fixture(scope="session")
def responder(matcher: Matcher) -> Responder:
    return Responder(matcher, SupportHours(), IntentRules.load())


@pytest.fixture
def converse(responder: Responder) -> Converse:
    conversation = Conversation(responder)
    key = ConversationKey("test", "channel", "customer")

    async def say(text: str, at: datetime = TUE_1030) -> list[Reply]:
        return await conversation.handle(Incoming(key, text, at))

    return say


@pytest.fixture(autouse=True)
def database_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Every app a test builds keeps its state in its own SQLite file, never in the work tree.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'supportbot.db'}")


JsonLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_logs() -> Iterator[JsonLines]:
    """The logging `supportbot serve` installs with LOG_FORMAT=json, for one test; gives a
    function that returns the JSON lines written so far."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    logs.configure(json_lines=True)
    written = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in written.getvalue().splitlines() if line.startswith("{")]

    yield lines
    root.handlers[:] = saved
    root.setLevel(level)
