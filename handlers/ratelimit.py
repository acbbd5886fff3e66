"""Per-conversation flood control: a burst gets one polite notice, not a reply per message."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
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


@dataclass
class _Window:
    times: deque[datetime] = field(default_factory=deque)
    noticed: bool = False


class RateLimiter:
    """Sliding-window limit per conversation in this process's memory: enough for one process (SQLite)."""

    def __init__(self, messages: int = 10, window: timedelta = timedelta(minutes=1), max_keys: int = 100_000) -> None:
        self.messages = messages
        self.window = window
        self._max_keys = max_keys
        self._windows: dict[ConversationKey, _Window] = {}

    async def check(self, key: ConversationKey, at: datetime) -> Verdict:
        """ "ok" to answer, "notice" for the first message over the limit, "drop" for the rest."""
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self._max_keys:
                self._forget(at)
            window = self._windows[key] = _Window()
        while window.times and at - window.times[0] >= self.window:
            window.times.popleft()
        if len(window.times) < self.messages:
            window.times.append(at)
            window.noticed = False
            return "ok"
        if window.noticed:
            return "drop"
        window.noticed = True
        return "notice"

    def _forget(self, at: datetime) -> None:
        stale = [key for key, w in self._windows.items() if not w.times or at - w.times[-1] >= self.window]
        for key in stale:
            del self._windows[key]


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
