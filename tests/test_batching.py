import asyncio

import pytest

from handlers.batching import Batcher


async def test_callers_arriving_together_share_one_flush() -> None:
    flushed: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        flushed.append(items)
        await asyncio.sleep(0)
        return [item * 10 for item in items]

    batcher: Batcher[int, int] = Batcher(flush)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(50)))
    assert results == [n * 10 for n in range(50)]
    assert len(flushed) < 5 and sorted(n for batch in flushed for n in batch) == list(range(50))


async def test_batches_respect_the_size_limit_and_keep_order() -> None:
    flushed: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        flushed.append(items)
        return items

    batcher: Batcher[int, int] = Batcher(flush, max_size=7)
    assert await asyncio.gather(*(batcher.submit(n) for n in range(20))) == list(range(20))
    assert max(len(batch) for batch in flushed) <= 7


async def test_a_failing_flush_fails_its_own_callers_only() -> None:
    calls = 0

    async def flush(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database gone")
        return items

    batcher: Batcher[str, str] = Batcher(flush, max_size=2)
    results = await asyncio.gather(*(batcher.submit(s) for s in "abcd"), return_exceptions=True)
    assert isinstance(results[0], ConnectionError) and isinstance(results[1], ConnectionError)
    assert results[2:] == ["c", "d"]


async def test_a_flush_with_the_wrong_number_of_results_is_an_error() -> None:
    async def flush(items: list[int]) -> list[int]:
        return items[:-1]

    batcher: Batcher[int, int] = Batcher(flush)
    with pytest.raises(RuntimeError, match="results"):
        await asyncio.gather(batcher.submit(1), batcher.submit(2))
