from __future__ import annotations

from datetime import datetime, timedelta

from handlers.conversation import Conversation
from handlers.hours import TOKYO
from handlers.messages import ConversationKey, Incoming
from handlers.ratelimit import RateLimiter
from handlers.responder import Responder

T0 = datetime(2026, 11, 24, 10, 30, tzinfo=TOKYO)
ALICE = ConversationKey("line", "Ua", "Ua")
BOB = ConversationKey("line", "Ub", "Ub")


def test_a_burst_gets_one_notice_then_silence_then_service_again() -> None:
    limiter = RateLimiter(messages=3, window=timedelta(seconds=60))
    verdicts = [limiter.check(ALICE, T0 + timedelta(seconds=n)) for n in range(6)]
    assert verdicts == ["ok", "ok", "ok", "notice", "drop", "drop"]
    assert limiter.check(BOB, T0) == "ok"  # others are unaffected
    assert limiter.check(ALICE, T0 + timedelta(seconds=61)) == "ok"  # the window moved on


async def test_a_flood_through_the_conversation(responder: Responder) -> None:
    conversation = Conversation(responder, limiter=RateLimiter(messages=2, window=timedelta(minutes=1)))
    answers = [
        await conversation.handle(Incoming(ALICE, "パスワードを忘れた", T0 + timedelta(seconds=n))) for n in range(5)
    ]
    assert [len(a) for a in answers] == [1, 1, 1, 0, 0]
    assert "少し時間をおいて" in answers[2][0].text
