from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

import handlers.storage as storage_module
from handlers.messages import ConversationKey
from handlers.records import ConversationState, MemoryLedger, State
from handlers.storage import SCHEMA_VERSION, Storage, async_url, handoffs, metadata, schema_version
from tests import servers

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
ALICE = ConversationKey("line", "U-alice", "U-alice")
BOB = ConversationKey("line", "U-bob", "U-bob")

BACKENDS = ["sqlite"]
if os.environ.get("TEST_DATABASE_URL"):
    BACKENDS.append("postgresql")


def backend_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        tmp_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{tmp_path / 'test.db'}"
    return os.environ["TEST_DATABASE_URL"]


async def fresh(url: str) -> Storage:
    storage = Storage(url)
    if storage.engine.dialect.name == "postgresql":
        async with storage.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
    await storage.init()
    return storage


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    store = await fresh(backend_url(request.param, tmp_path))
    yield store
    await store.close()


def test_postgres_contract_runs_when_configured() -> None:
    # CI sets TEST_DATABASE_URL; a developer without PostgreSQL sees this line skip, not vanish.
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set: storage contract ran on SQLite only")
    assert "postgresql" in BACKENDS


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        # libpq's sslmode, which hosted PostgreSQL URLs carry, is asyncpg's ssl.
        ("postgres://u:p@h:5432/db?sslmode=require", "postgresql+asyncpg://u:p@h:5432/db?ssl=require"),
    ],
)
def test_database_url_spellings(url: str, driver: str) -> None:
    assert async_url(url) == driver


async def test_handoff_lifecycle(storage: Storage) -> None:
    handoff, _ = await storage.create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW)
    assert (await storage.active_handoff(ALICE)) == handoff
    assert await storage.active_handoff(BOB) is None
    await storage.set_thread(handoff.id, "C-staff", "171.001")
    linked = await storage.by_thread("C-staff", "171.001")
    assert linked is not None and linked.id == handoff.id
    claimed = await storage.claim(handoff.id, "U-staff-1", NOW)
    assert claimed is not None and claimed.state is State.CLAIMED and claimed.claimed_by == "U-staff-1"
    assert await storage.claim(handoff.id, "U-staff-2", NOW) is None  # already someone's
    resolved = await storage.finish(handoff.id, State.RESOLVED, NOW)
    assert resolved is not None and resolved.state is State.RESOLVED
    assert await storage.finish(handoff.id, State.CANCELLED, NOW) is None
    assert await storage.active_handoff(ALICE) is None
    await storage.rate(handoff.id, 5)
    rated = await storage.get(handoff.id)
    assert rated is not None and rated.rating == 5


async def test_transcript_keeps_order_and_authors(storage: Storage) -> None:
    handoff, _ = await storage.create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW)
    for n, author in enumerate(["customer", "staff", "note", "customer"]):
        await storage.add_line(handoff.id, author, f"line {n} 入金", NOW + timedelta(seconds=n))
    lines = await storage.transcript(handoff.id)
    assert [(line.author, line.text) for line in lines] == [
        ("customer", "line 0 入金"),
        ("staff", "line 1 入金"),
        ("note", "line 2 入金"),
        ("customer", "line 3 入金"),
    ]
    assert lines[1].at == NOW + timedelta(seconds=1)


async def test_open_handoffs_and_expiry(storage: Storage) -> None:
    old, _ = await storage.create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW - timedelta(minutes=30))
    queued, _ = await storage.create_handoff(BOB, State.QUEUED, "en", "Bob", NOW - timedelta(hours=3))
    assert [h.id for h in await storage.open_handoffs()] == [queued.id, old.id]
    expired = await storage.expire_unclaimed(NOW - timedelta(minutes=10), NOW)
    assert [h.id for h in expired] == [old.id]
    assert await storage.expire_unclaimed(NOW - timedelta(minutes=10), NOW) == []  # only once
    assert [h.id for h in await storage.open_handoffs()] == [queued.id]  # queued ones wait for staff


async def test_a_queued_handoff_is_promoted_once(storage: Storage) -> None:
    queued, _ = await storage.create_handoff(ALICE, State.QUEUED, "ja", "Alice", NOW)
    later = NOW + timedelta(days=3)
    promoted = await storage.promote(queued.id, later)
    assert promoted is not None and promoted.state is State.WAITING and promoted.created_at == later
    assert await storage.promote(queued.id, later) is None  # no longer queued
    assert await storage.active_handoff(ALICE) == promoted


async def test_racing_claims_have_one_winner(storage: Storage) -> None:
    handoff, _ = await storage.create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW)
    results = await asyncio.gather(*(storage.claim(handoff.id, f"U{n}", NOW) for n in range(8)))
    assert len([r for r in results if r is not None]) == 1


async def test_conversation_state_round_trip(storage: Storage) -> None:
    assert await storage.load_state(ALICE) == ConversationState()
    state = ConversationState(fallbacks=2, pending="rating:7")
    for n in range(10):
        state.remember("customer", f"msg {n}")
    await storage.save_state(ALICE, state, NOW)
    await storage.save_state(ALICE, state, NOW)  # an update, not a second row
    loaded = await storage.load_state(ALICE)
    assert loaded.fallbacks == 2 and loaded.pending == "rating:7"
    assert loaded.history[-1] == ("customer", "msg 9") and len(loaded.history) == 6
    assert await storage.load_state(BOB) == ConversationState()


async def test_state_survives_a_new_storage_object(storage: Storage) -> None:
    handoff, _ = await storage.create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW)
    await storage.set_thread(handoff.id, "C", "1.1")
    again = Storage(storage.url)
    await again.init()  # init on an existing schema is harmless
    try:
        found = await again.by_thread("C", "1.1")
        assert found is not None and found.key == ALICE
    finally:
        await again.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_many_processes_creating_the_schema_at_once(backend: str, tmp_path: Path) -> None:
    # The race is narrow: several rounds of eight starters each made it show within seconds.
    for round_ in range(5):
        url = backend_url(backend, tmp_path / str(round_))
        if backend == "postgresql":
            await servers.empty_postgres(url)
        stores = [Storage(url) for _ in range(8)]
        try:
            await asyncio.gather(*(store.init() for store in stores))
            handoff, _ = await stores[0].create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW)
            assert (await stores[7].get(handoff.id)) == handoff
        finally:
            for store in stores:
                await store.close()


async def test_event_ledger_lets_one_delivery_through(storage: Storage) -> None:
    results = await asyncio.gather(*(storage.first_delivery("line", "evt-1", NOW) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert await storage.first_delivery("slack", "evt-1", NOW)  # platforms do not collide
    assert await storage.forget_events(NOW + timedelta(seconds=1)) == 2
    assert await storage.first_delivery("line", "evt-1", NOW)  # forgotten keys count as new


@pytest.mark.parametrize("ledger", ["storage", "memory"])
async def test_an_event_forgotten_after_a_failed_answer_counts_as_new(storage: Storage, ledger: str) -> None:
    book = storage if ledger == "storage" else MemoryLedger()
    assert await book.first_delivery("line", "failed", NOW)
    assert not await book.first_delivery("line", "failed", NOW)
    await book.forget_delivery("line", "failed")
    await book.forget_delivery("line", "never-seen")  # nothing to forget: no error
    assert await book.first_delivery("line", "failed", NOW)
    assert not await book.first_delivery("line", "failed", NOW)


async def test_event_ledger_sorts_a_mixed_batch(storage: Storage) -> None:
    assert await storage.first_delivery("line", "a", NOW) and await storage.first_delivery("line", "b", NOW)
    ids = ["a", "c", "c", "b", "d"]
    results = await asyncio.gather(*(storage.first_delivery("line", i, NOW) for i in ids))
    assert results == [False, True, False, False, True]


async def test_message_counts_place_each_message_in_its_window(storage: Storage) -> None:
    calls = [(ALICE, 60), (ALICE, 60), (BOB, 60), (ALICE, 120), (ALICE, 60)]
    places = await asyncio.gather(*(storage.count_message(key, start) for key, start in calls))
    assert places == [1, 2, 1, 1, 3]
    assert await storage.count_message(ALICE, 60) == 4  # a later batch continues the count
    assert await storage.forget_windows(120) == 2  # Alice's and Bob's windows at 60
    assert await storage.count_message(ALICE, 60) == 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_processes_counting_the_same_customers_never_deadlock(backend: str, tmp_path: Path) -> None:
    # Two stores (two processes) upsert overlapping keys in batches at the same moments. Rows
    # locked in a different order by each deadlocked on PostgreSQL in most runs of this size.
    url = backend_url(backend, tmp_path)
    first = await fresh(url)
    second = Storage(url)
    customers = [ConversationKey("line", f"U{n}", f"U{n}") for n in range(8)]
    try:
        for round_ in range(150):
            picks = [customers[(round_ * 3 + n * 5) % 8] for n in range(6)]
            counts = [first.count_message(key, round_) for key in picks]
            counts += [second.count_message(key, round_) for key in reversed(picks)]
            events = [first.first_delivery("line", f"e{round_}-{key.user_id}", NOW) for key in picks]
            events += [second.first_delivery("line", f"e{round_}-{key.user_id}", NOW) for key in reversed(picks)]
            await asyncio.gather(*counts, *events)  # raises on a deadlock
    finally:
        await first.close()
        await second.close()


async def test_memory_ledger_for_one_process() -> None:
    ledger = MemoryLedger(size=2)
    assert await ledger.first_delivery("line", "a", NOW)
    assert not await ledger.first_delivery("line", "a", NOW)
    assert await ledger.first_delivery("line", "b", NOW) and await ledger.first_delivery("line", "c", NOW)
    assert await ledger.first_delivery("line", "a", NOW)  # the oldest fell out


async def test_upgrade_from_schema_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Storage(url)
    async with old.engine.begin() as connection:
        await connection.run_sync(lambda sync: metadata.create_all(sync, tables=[schema_version, handoffs]))
        await connection.execute(insert(schema_version).values(version=1))
    await old.close()
    upgraded = await fresh(url)
    try:
        assert await upgraded.first_delivery("line", "x", NOW)
        async with upgraded.engine.connect() as connection:
            assert (await connection.execute(select(schema_version.c.version))).scalar() == SCHEMA_VERSION
    finally:
        await upgraded.close()


async def test_upgrade_from_schema_4_adds_the_queued_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v4.db'}"
    old = Storage(url)
    async with old.engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE handoffs (id INTEGER PRIMARY KEY AUTOINCREMENT, platform VARCHAR(32) NOT NULL,"
            " channel_id VARCHAR(128) NOT NULL, user_id VARCHAR(128) NOT NULL, state VARCHAR(16) NOT NULL,"
            " lang VARCHAR(8) NOT NULL, customer_name VARCHAR(200) NOT NULL, created_at FLOAT NOT NULL,"
            " claimed_by VARCHAR(64), claimed_at FLOAT, finished_at FLOAT, staff_channel VARCHAR(64),"
            " staff_thread VARCHAR(64), rating INTEGER)"
        )
        await connection.exec_driver_sql(
            "INSERT INTO handoffs (platform, channel_id, user_id, state, lang, customer_name, created_at)"
            " VALUES ('line', 'U-alice', 'U-alice', 'queued', 'ja', 'Alice', 1.0)"
        )
        await connection.run_sync(lambda sync: metadata.create_all(sync, tables=[schema_version]))
        await connection.execute(insert(schema_version).values(version=4))
    await old.close()
    upgraded = await fresh(url)
    try:
        [kept] = await upgraded.open_handoffs()  # the row of version 4 is still there, now with the column
        assert kept.state is State.QUEUED
        # A message left before the upgrade is known as one: unclaimed live, it goes back to the queue.
        assert (await upgraded.promote(kept.id, NOW)) is not None
        assert [h.id for h in await upgraded.requeue_unclaimed(NOW + timedelta(seconds=1))] == [kept.id]
    finally:
        await upgraded.close()


async def test_an_unclaimed_live_request_with_a_left_message_goes_back_to_the_queue(storage: Storage) -> None:
    left, _ = await storage.create_handoff(ALICE, State.QUEUED, "ja", "Alice", NOW)
    live, _ = await storage.create_handoff(BOB, State.WAITING, "ja", "Bob", NOW)
    later = NOW + timedelta(hours=1)
    await storage.promote(left.id, later)
    cutoff = later + timedelta(minutes=11)
    assert [h.id for h in await storage.requeue_unclaimed(cutoff)] == [left.id]
    assert [h.id for h in await storage.expire_unclaimed(cutoff, cutoff)] == [live.id]
    assert [(h.id, h.state) for h in await storage.open_handoffs()] == [(left.id, State.QUEUED)]


async def test_a_customer_has_at_most_one_open_handoff(storage: Storage) -> None:
    results = await asyncio.gather(
        *(storage.create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW) for _ in range(5))
    )
    assert len({handoff.id for handoff, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    [handoff] = await storage.open_handoffs()
    await storage.finish(handoff.id, State.RESOLVED, NOW)
    again, created = await storage.create_handoff(ALICE, State.WAITING, "ja", "Alice", NOW)
    assert created and again.id != handoff.id  # a finished one does not block the next


async def test_a_stale_state_does_not_undo_a_pending_rating(storage: Storage) -> None:
    await storage.save_state(ALICE, ConversationState(), NOW)
    customer_copy = await storage.load_state(ALICE)  # a message is being handled...
    staff_copy = await storage.load_state(ALICE)
    staff_copy.pending = "rating:9"  # ...while staff resolve the handoff
    await storage.save_state(ALICE, staff_copy, NOW)
    customer_copy.fallbacks = 1
    await storage.save_state(ALICE, customer_copy, NOW)
    loaded = await storage.load_state(ALICE)
    assert loaded.pending == "rating:9" and loaded.fallbacks == 1


async def test_a_postgresql_server_that_never_answers_fails_the_connection_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storage_module, "CONNECT_SECONDS", 0.3)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts, reads, never answers (a network fault in between)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    storage = Storage(f"postgresql://postgres@127.0.0.1:{port}/test")
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises((TimeoutError, OSError)):
            await storage.ping()
        assert asyncio.get_running_loop().time() - started < 3.0
    finally:
        await storage.close()
        server.close()


async def test_a_postgresql_statement_that_hangs_fails_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set: the statement timeout needs PostgreSQL")
    monkeypatch.setattr(storage_module, "STATEMENT_SECONDS", 0.3)
    storage = Storage(os.environ["TEST_DATABASE_URL"])
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            async with storage.engine.connect() as connection:
                await connection.execute(text("SELECT pg_sleep(5)"))
        assert asyncio.get_running_loop().time() - started < 3.0
    finally:
        await storage.close()
