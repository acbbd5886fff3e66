"""Group commit: concurrent callers share one database round trip instead of queueing for it."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Collects the items submitted while a flush runs and flushes them together next.

    `flush` receives a list of items and returns one result per item, in order. A failing
    flush fails every caller of that batch and no other.
    """

    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R]]], max_size: int = 500) -> None:
        self._flush = flush
        self._max_size = max_size
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Add `item` to the next batch and wait for its result."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._runner is None or self._runner.done():
            # In a context of its own: it serves every caller, not the one that happened to start it.
            self._runner = asyncio.create_task(self._run(), context=contextvars.Context())
        return await future

    async def _run(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_size], self._waiting[self._max_size :]
            try:
                results = await self._flush([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"flush returned {len(results)} results for {len(batch)} items")
            except BaseException as exc:
                cancelled = not isinstance(exc, Exception)
                if cancelled:  # nobody would flush what is still waiting: fail it too
                    batch, self._waiting = batch + self._waiting, []
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("flush cancelled") if cancelled else exc)
                if cancelled:
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # the caller may have been cancelled
                    future.set_result(result)
