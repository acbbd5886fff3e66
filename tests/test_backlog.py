from __future__ import annotations

import asyncio

from bots.backlog import Backlog


async def test_batches_get_in_while_there_is_room_even_a_big_one() -> None:
    backlog = Backlog(2)
    await backlog.admit(1)
    await backlog.admit(5)  # there was room for one more: the whole batch gets in
    assert backlog.pending == 6


async def test_waiters_are_admitted_first_come_first_served() -> None:
    backlog = Backlog(1)
    await backlog.admit(1)
    admitted: list[str] = []

    async def wait(name: str) -> None:
        await backlog.admit(1)
        admitted.append(name)

    tasks = [asyncio.create_task(wait(name)) for name in ("first", "second", "third")]
    await asyncio.sleep(0)
    assert admitted == []
    for _ in tasks:
        backlog.done(1)
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert admitted == ["first", "second", "third"]


async def test_a_cancelled_wait_leaves_nothing_behind() -> None:
    backlog = Backlog(1)
    await backlog.admit(1)
    waiting = asyncio.create_task(backlog.admit(3))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    backlog.done(1)
    assert backlog.pending == 0
    await backlog.admit(1)  # no ghost waiter ahead of it
    assert backlog.pending == 1


async def test_room_given_to_a_wait_cancelled_at_that_moment_comes_back() -> None:
    backlog = Backlog(1)
    await backlog.admit(1)
    waiting = asyncio.create_task(backlog.admit(2))
    await asyncio.sleep(0)
    backlog.done(1)  # admits the waiter...
    waiting.cancel()  # ...which is cancelled before it runs again
    await asyncio.gather(waiting, return_exceptions=True)
    assert waiting.cancelled() and backlog.pending == 0
