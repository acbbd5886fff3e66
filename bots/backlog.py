"""A bound on work accepted but not yet done, with first-come, first-served admission."""

from __future__ import annotations

import asyncio
from collections import deque


class Backlog:
    """Admits batches of work while fewer than `limit` items are pending; the rest wait in order.

    A batch is admitted whole once there is any room, so a batch bigger than the limit still gets
    in. Waiters are woken one at a time, in arrival order: waking them all at each finished item
    made them race, and the unlucky ones waited many times longer than the rest.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pending = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def admit(self, count: int) -> None:
        """Wait for room, then count `count` items as pending."""
        if not self._waiters and self.pending < self.limit:
            self.pending += count
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (count, waiter)
        self._waiters.append(entry)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.done(count)  # admitted just as the wait was cancelled: give the room back
            else:
                self._waiters.remove(entry)
            raise

    def done(self, count: int) -> None:
        """Count `count` pending items as finished and admit whoever now fits."""
        self.pending -= count
        while self._waiters and self.pending < self.limit:
            needed, waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self.pending += needed
            waiter.set_result(None)
