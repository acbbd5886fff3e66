from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from handlers.conversation import Conversation
from handlers.hours import TOKYO
from handlers.messages import ConversationKey, Incoming
from handlers.ratelimit import RateLimiter, SharedRateLimiter
from handlers.responder import Responder
from handlers.storage import Storage

T0 = datetime(2026, 11, 24, 10, 30, tzinfo=TOKYO)
ALICE = ConversationKey("line", "Ua", "Ua")
BOB = ConversationKey("line", "Ub", "Ub")


async def _storage(tmp_path: Path) -> Storage:
    storage = Storage(f"sqlite:///{tmp_path / 'limit.db'}")
    await storage.init()
    return storage


async def test_one_process_counts_in_memory_over_a_sliding_window() -> None:
    limiter = RateLimiter(messages=3, window=timedelta(seconds=60))
    verdicts = [await limiter.check(ALICE, T0 + timedelta(seconds=n)) for n in range(6)]
    assert verdicts == ["ok", "ok", "ok", "notice", "drop", "drop"]
    assert await limiter.check(BOB, T0) == "ok"
    assert await limiter.check(ALICE, T0 + timedelta(seconds=61)) == "ok"  # the oldest left the window


async def test_a_burst_gets_one_notice_then_silence_then_service_again(tmp_path: Path) -> None:
    storage = await _storage(tmp_path)
    try:
        limiter = SharedRateLimiter(storage, messages=3, window=timedelta(seconds=60))
        verdicts = [await limiter.check(ALICE, T0 + timedelta(seconds=n)) for n in range(6)]
        assert verdicts == ["ok", "ok", "ok", "notice", "drop", "drop"]
        assert await limiter.check(BOB, T0) == "ok"  # others are unaffected
        assert await limiter.check(ALICE, T0 + timedelta(seconds=61)) == "ok"  # the next window
    finally:
        await storage.close()


async def test_processes_share_one_count(tmp_path: Path) -> None:
    # Two processes behind a load balancer, each with its own Storage on the one database:
    # a flood split between them still gets a single notice.
    first, second = await _storage(tmp_path), await _storage(tmp_path)
    try:
        limiters = [SharedRateLimiter(store, messages=4, window=timedelta(minutes=1)) for store in (first, second)]
        verdicts = await asyncio.gather(*(limiters[n % 2].check(ALICE, T0) for n in range(10)))
        assert sorted(verdicts) == ["drop"] * 5 + ["notice"] + ["ok"] * 4
        assert await first.forget_windows(int((T0 + timedelta(minutes=1)).timestamp())) == 1
        assert await limiters[1].check(ALICE, T0) == "ok"  # forgotten counts start again
    finally:
        await first.close()
        await second.close()


async def test_a_flood_through_the_conversation(responder: Responder, tmp_path: Path) -> None:
    storage = await _storage(tmp_path)
    try:
        limiter = SharedRateLimiter(storage, messages=2, window=timedelta(minutes=1))
        conversation = Conversation(responder, limiter=limiter)
        answers = [
            await conversation.handle(Incoming(ALICE, "パスワードを忘れた", T0 + timedelta(seconds=n)))
            for n in range(5)
        ]
        assert [len(a) for a in answers] == [1, 1, 1, 0, 0]
        assert "少し時間をおいて" in answers[2][0].text
    finally:
        await storage.close()


class _BrokenCounter:
    async def count_message(self, key: ConversationKey, window_start: int) -> int:
        raise ConnectionError("database unreachable")


async def test_a_failed_count_answers_anyway(responder: Responder, caplog: pytest.LogCaptureFixture) -> None:
    limiter = SharedRateLimiter(_BrokenCounter(), messages=2, window=timedelta(minutes=1))
    conversation = Conversation(responder, limiter=limiter)
    [reply] = await conversation.handle(Incoming(ALICE, "パスワードを忘れた", T0))
    assert reply.faq_id == "forgot-password"
    assert "rate limit check failed" in caplog.text and "パスワード" not in caplog.text
