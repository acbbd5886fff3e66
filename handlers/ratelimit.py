"""Per-conversation flood control: a burst gets one polite notice, not a reply per message."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.messages import ConversationKey


@dataclass
class _Window:
    times: deque[datetime] = field(default_factory=deque)
    noticed: bool = False


class RateLimiter:
    """Sliding-window limit per conversation (in process memory)."""

    def __init__(self, messages: int = 10, window: timedelta = timedelta(minutes=1), max_keys: int = 100_000) -> None:
        self.messages = messages
        self.window = window
        self._max_keys = max_keys
        self._windows: dict[ConversationKey, _Window] = {}

    def check(self, key: ConversationKey, at: datetime) -> str:
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
