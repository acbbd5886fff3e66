"""Per-conversation flood control: a burst gets one polite notice, not a reply per message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from handlers.messages import ConversationKey

Verdict = Literal["ok", "notice", "drop"]


class MessageCounter(Protocol):
    """Where the shared limiter counts messages (the Storage)."""

    async def count_message(self, key: ConversationKey, window_start: int) -> int:
        """Count one message; return its place in its window (1, 2, ...)."""
        ...


class RateLimit(Protocol):
    """What the conversation asks before answering a message."""

    async def check(self, key: ConversationKey, at: datetime) -> Verdict:
        """ "ok" to answer, "notice" for the first message over the limit, "drop" for the rest."""
        ...


class SharedRateLimiter:
    """Fixed-window limit per conversation, counted in the database that every process shares.

    LINE spreads one customer's messages over all the processes behind the load balancer; a
    count in each process's memory would let a flood through once per process. A burst that
    straddles two windows may get up to twice the limit before the notice.
    """

    def __init__(self, counter: MessageCounter, messages: int = 10, window: timedelta = timedelta(minutes=1)) -> None:
        self.counter = counter
        self.messages = messages
        self.seconds = max(1, int(window.total_seconds()))

    async def check(self, key: ConversationKey, at: datetime) -> Verdict:
        """ "ok" to answer, "notice" for the first message over the limit, "drop" for the rest."""
        start = int(at.timestamp()) // self.seconds * self.seconds
        place = await self.counter.count_message(key, start)
        if place <= self.messages:
            return "ok"
        return "notice" if place == self.messages + 1 else "drop"
