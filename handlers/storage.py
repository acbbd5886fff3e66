"""Durable state behind one async interface: handoffs, their transcripts, and per-conversation state.

One SQLAlchemy 2 (async) code path serves SQLite through aiosqlite (the default, one process)
and PostgreSQL through asyncpg (several processes). Every state change is a single conditional
UPDATE, so two processes racing on one handoff cannot both win.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from handlers.batching import Batcher
from handlers.messages import ConversationKey
from handlers.records import ACTIVE, OPEN, ConversationState, Handoff, Line, State

log = logging.getLogger("supportbot.storage")

# 2: processed_events; 3: one open handoff per customer; 4: message_windows; 5: handoffs.queued_at
SCHEMA_VERSION = 5
_SCHEMA_LOCK = 7_310_051  # pg_advisory_xact_lock key: one process creates or upgrades at a time
# PostgreSQL: how long to wait for a connection to open, for a statement, and for a free
# connection of the pool, before the call fails (and the caller answers without it).
CONNECT_SECONDS = 3.0
STATEMENT_SECONDS = 5.0
POOL_WAIT_SECONDS = 5.0


metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))

handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("channel_id", String(128), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_at", Float),
    Column("finished_at", Float),
    Column("staff_channel", String(64)),
    Column("staff_thread", String(64)),
    Column("rating", Integer),
    # When a message was left out of hours; kept when the customer later asks live, so that an
    # unclaimed live request goes back to the queue instead of expiring with the message.
    Column("queued_at", Float),
    Index("ix_handoffs_customer", "platform", "channel_id", "user_id", "state"),
    Index("ix_handoffs_thread", "staff_channel", "staff_thread", unique=True),
)
_OPEN_STATES = text("state IN ('queued', 'waiting', 'claimed')")
# At most one open handoff per customer, even when two processes start one at the same moment.
open_handoff_per_customer = Index(
    "ux_handoffs_open_customer",
    handoffs.c.platform,
    handoffs.c.channel_id,
    handoffs.c.user_id,
    unique=True,
    postgresql_where=_OPEN_STATES,
    sqlite_where=_OPEN_STATES,
)

transcript_lines = Table(
    "transcript_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, ForeignKey("handoffs.id"), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("author", String(16), nullable=False),
    Column("text", Text, nullable=False),
)


def _conversation_key() -> list[Column[Any]]:
    """The columns that name one conversation, as the primary key of a per-conversation table."""
    return [
        Column("platform", String(32), primary_key=True),
        Column("channel_id", String(128), primary_key=True),
        Column("user_id", String(128), primary_key=True),
    ]


conversations = Table(
    "conversations",
    metadata,
    *_conversation_key(),
    Column("fallbacks", Integer, nullable=False, default=0),
    Column("pending", String(64)),
    Column("history", Text, nullable=False, default="[]"),
    Column("updated_at", Float, nullable=False),
)


processed_events = Table(
    "processed_events",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("event_id", String(128), primary_key=True),
    Column("seen_at", Float, nullable=False, index=True),
)


# How many messages each conversation sent in each fixed window: the rate limit every process shares.
message_windows = Table(
    "message_windows",
    metadata,
    *_conversation_key(),
    Column("window_start", Integer, primary_key=True, index=True),
    Column("count", Integer, nullable=False),
)


def async_url(url: str) -> str:
    """The driver form of a database URL: sqlite:// -> sqlite+aiosqlite://, postgres(ql):// -> +asyncpg.

    Raises ValueError for a URL that cannot be read (a port that is no number).
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("a database URL looks like sqlite:///path or postgresql://host/db")
    driver = {"sqlite": "sqlite+aiosqlite", "postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg"}
    parsed = make_url(f"{driver.get(scheme, scheme)}://{rest}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ValueError(f"port {parsed.port} is out of range")
    if parsed.drivername == "postgresql+asyncpg" and "sslmode" in parsed.query:
        # Hosted PostgreSQL hands out libpq URLs (?sslmode=require); asyncpg calls it ssl.
        mode = parsed.query["sslmode"]
        parsed = parsed.difference_update_query(["sslmode"]).update_query_dict({"ssl": mode})
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # WAL lets readers and the writer overlap and makes a commit cheap; the busy timeout
    # makes a second process wait for the lock instead of failing.
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")  # first: switching to WAL itself needs the lock
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _has_column(connection: Any, table: str, column: str) -> bool:
    return any(found["name"] == column for found in inspect(connection).get_columns(table))


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


class Storage:
    """The one storage interface; SQLite and PostgreSQL behind the same SQLAlchemy code."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        # hide_parameters: a failing statement's values (customer text) never reach a log.
        options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if self.url.startswith("postgresql"):
            # A database that accepts connections and never answers (a network fault) must fail
            # fast: every answer waits on it, and a shutdown on the answers.
            options.update(
                pool_timeout=POOL_WAIT_SECONDS,
                connect_args={"timeout": CONNECT_SECONDS, "command_timeout": STATEMENT_SECONDS},
            )
        self._options = options
        if self.url.startswith("sqlite"):
            # SQLite takes one writer at a time: one connection queues writes in this process
            # instead of several connections sleeping on the file lock.
            options.update(pool_size=1, max_overflow=0, pool_timeout=30, pool_pre_ping=False)
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # SQLite allows 32,766 variables a statement; 3 a row.
        dialect_insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        self._record_new_events = (
            dialect_insert(processed_events)
            .on_conflict_do_nothing()
            .returning(processed_events.c.platform, processed_events.c.event_id)
        )
        counted = dialect_insert(message_windows)
        self._count_messages = counted.on_conflict_do_update(
            index_elements=[c.name for c in message_windows.primary_key.columns],
            set_={"count": message_windows.c.count + counted.excluded.count},
        ).returning(*message_windows.primary_key.columns, message_windows.c.count)
        self._counts: Batcher[tuple[ConversationKey, int], int] = Batcher(self._count_batch, max_size=1000)
        self._deliveries: Batcher[tuple[str, str, float], bool] = Batcher(self._record_deliveries, max_size=1000)

    @property
    def shared(self) -> bool:
        """Whether several processes may use this database at once (PostgreSQL; SQLite serves one)."""
        return self.engine.dialect.name == "postgresql"

    async def init(self) -> None:
        """Create or upgrade the schema; safe when several processes start at once."""
        engine = self.engine
        if engine.dialect.name == "postgresql":
            # An upgrade, or the wait for another process's, may take longer than any statement
            # of an answer should: only connecting is timed.
            engine = create_async_engine(self.url, **{**self._options, "connect_args": {"timeout": CONNECT_SECONDS}})
        try:
            await self._create_or_upgrade(engine)
        finally:
            if engine is not self.engine:
                await engine.dispose()

    async def _create_or_upgrade(self, engine: AsyncEngine) -> None:
        for attempt in range(3):
            try:
                async with engine.begin() as connection:
                    if engine.dialect.name == "postgresql":
                        await connection.execute(text(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})"))
                    else:
                        # The driver starts no transaction before DDL: take the write lock now so the
                        # checks and creates below run as one unit, the others waiting on busy_timeout.
                        await connection.exec_driver_sql("BEGIN IMMEDIATE")
                    await connection.run_sync(metadata.create_all, checkfirst=True)
                    found = (await connection.execute(select(schema_version.c.version))).scalar()
                    if found is None:
                        await connection.execute(insert(schema_version).values(version=SCHEMA_VERSION))
                    elif found > SCHEMA_VERSION:
                        raise RuntimeError(f"database schema {found} is newer than this code ({SCHEMA_VERSION})")
                    elif found < SCHEMA_VERSION:
                        # Upgrades add tables (create_all has just made them), an index and a column.
                        await connection.run_sync(lambda sync: open_handoff_per_customer.create(sync, checkfirst=True))
                        if not await connection.run_sync(_has_column, "handoffs", "queued_at"):
                            await connection.execute(text("ALTER TABLE handoffs ADD COLUMN queued_at FLOAT"))
                            # Messages already waiting in the queue were left out of hours too.
                            await connection.execute(
                                update(handoffs)
                                .where(handoffs.c.state == State.QUEUED.value)
                                .values(queued_at=handoffs.c.created_at)
                            )
                        await connection.execute(update(schema_version).values(version=SCHEMA_VERSION))
                        log.info("database schema upgraded from %d to %d", found, SCHEMA_VERSION)
                return
            except (OperationalError, ProgrammingError, IntegrityError) as exc:
                # A lock wait longer than busy_timeout, or a PostgreSQL catalogue race: check again.
                message = str(exc).lower()
                if attempt == 2 or not any(word in message for word in ("exist", "unique", "locked")):
                    raise
                log.info("schema created by another process; checking again")

    async def close(self) -> None:
        """Release the connection pool."""
        await self.engine.dispose()

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    # -- idempotency ----------------------------------------------------------------------

    async def first_delivery(self, platform: str, event_id: str, now: datetime) -> bool:
        """EventLedger: the unique key makes exactly one process win for each event id."""
        return await self._deliveries.submit((platform, event_id[:128], _ts(now)))

    async def forget_delivery(self, platform: str, event_id: str) -> None:
        """EventLedger: forget an event that could not be answered, so that a redelivery of it is."""
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(processed_events).where(
                    processed_events.c.platform == platform, processed_events.c.event_id == event_id[:128]
                )
            )

    async def _record_deliveries(self, batch: list[tuple[str, str, float]]) -> list[bool]:
        # One INSERT for every event that arrived meanwhile: the rows the database took are
        # the first deliveries; a key already there (or twice in this batch) is a repeat.
        rows = {(platform, event_id): seen for platform, event_id, seen in batch}
        # In key order, so that two processes inserting overlapping keys lock them in one order
        # and cannot deadlock (PostgreSQL locks each row as the statement reaches it).
        parameters = [{"platform": p, "event_id": e, "seen_at": seen} for (p, e), seen in sorted(rows.items())]
        async with self.engine.begin() as connection:
            result = await connection.execute(self._record_new_events, parameters)
            taken = {(row.platform, row.event_id) for row in result}
        results = []
        for platform, event_id, _ in batch:
            results.append((platform, event_id) in taken)
            taken.discard((platform, event_id))  # a second copy in the same batch is a repeat
        return results

    # -- shared rate limit ----------------------------------------------------------------

    async def count_message(self, key: ConversationKey, window_start: int) -> int:
        """Count one message of a conversation in a window; return its place in that window (1, 2, ...)."""
        return await self._counts.submit((key, window_start))

    async def _count_batch(self, batch: list[tuple[ConversationKey, int]]) -> list[int]:
        # One upsert per conversation and window, adding all of this batch's messages at once;
        # each caller then gets its own place in the order it arrived.
        added: dict[tuple[ConversationKey, int], int] = {}
        for item in batch:
            added[item] = added.get(item, 0) + 1
        parameters = sorted(
            (
                {
                    "platform": key.platform,
                    "channel_id": key.channel_id[:128],
                    "user_id": key.user_id[:128],
                    "window_start": start,
                    "count": n,
                }
                for (key, start), n in added.items()
            ),
            key=lambda row: (row["platform"], row["channel_id"], row["user_id"], row["window_start"]),
        )  # in key order, as in _record_deliveries
        async with self.engine.begin() as connection:
            rows = await connection.execute(self._count_messages, parameters)
            totals = {(platform, channel, user, start): int(count) for platform, channel, user, start, count in rows}
        places: list[int] = []
        seen: dict[tuple[ConversationKey, int], int] = {}
        for key, start in batch:
            total = totals[(key.platform, key.channel_id[:128], key.user_id[:128], start)]
            seen[(key, start)] = seen.get((key, start), 0) + 1
            places.append(total - added[(key, start)] + seen[(key, start)])
        return places

    async def forget_windows(self, before: int) -> int:
        """Drop message counts of windows that started before `before` (epoch seconds)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(message_windows).where(message_windows.c.window_start < before))
            return int(result.rowcount or 0)

    async def forget_events(self, before: datetime) -> int:
        """Drop event ids older than `before` (redeliveries stop long before)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(processed_events).where(processed_events.c.seen_at < _ts(before)))
            return int(result.rowcount or 0)

    # -- handoffs -------------------------------------------------------------------------

    async def create_handoff(
        self, key: ConversationKey, state: State, lang: str, customer_name: str, now: datetime
    ) -> tuple[Handoff, bool]:
        """Open a handoff for a customer: (the handoff, True), or (their open one, False)."""
        values = {
            "platform": key.platform,
            "channel_id": key.channel_id,
            "user_id": key.user_id,
            "state": state.value,
            "lang": lang,
            "customer_name": customer_name[:200],
            "created_at": _ts(now),
            "queued_at": _ts(now) if state is State.QUEUED else None,
        }
        try:
            async with self.engine.begin() as connection:
                result = await connection.execute(insert(handoffs).values(**values).returning(handoffs.c.id))
                handoff_id = result.scalar_one()
        except IntegrityError:
            # This customer already has an open handoff (another process was quicker): use it.
            existing = await self._one(and_(_customer(key), handoffs.c.state.in_([s.value for s in OPEN])))
            if existing is None:
                raise
            return existing, False
        return Handoff(handoff_id, key, state, lang, customer_name[:200], now), True

    async def active_handoff(self, key: ConversationKey) -> Handoff | None:
        """The customer's handoff that staff are (or will be) answering, if any."""
        return await self._one(and_(_customer(key), handoffs.c.state.in_([s.value for s in ACTIVE])))

    async def get(self, handoff_id: int) -> Handoff | None:
        """One handoff by id."""
        return await self._one(handoffs.c.id == handoff_id)

    async def by_thread(self, channel: str, thread: str) -> Handoff | None:
        """The handoff whose staff thread this is."""
        return await self._one(and_(handoffs.c.staff_channel == channel, handoffs.c.staff_thread == thread))

    async def set_thread(self, handoff_id: int, channel: str, thread: str) -> None:
        """Link a handoff to the staff thread its card started."""
        async with self.engine.begin() as connection:
            await connection.execute(
                update(handoffs).where(handoffs.c.id == handoff_id).values(staff_channel=channel, staff_thread=thread)
            )

    async def claim(self, handoff_id: int, staff: str, now: datetime) -> Handoff | None:
        """Record who takes a handoff; None if it is no longer open or someone else has it."""
        return await self._transition(
            handoff_id,
            handoffs.c.state.in_([State.QUEUED.value, State.WAITING.value]),
            {"state": State.CLAIMED.value, "claimed_by": staff, "claimed_at": _ts(now)},
        )

    async def promote(self, handoff_id: int, now: datetime) -> Handoff | None:
        """A queued handoff whose customer now asks for a person live: waiting from `now` (a
        waiting handoff's created_at is when its claim timer started); None if no longer queued."""
        return await self._transition(
            handoff_id,
            handoffs.c.state == State.QUEUED.value,
            {"state": State.WAITING.value, "created_at": _ts(now)},
        )

    async def finish(self, handoff_id: int, state: State, now: datetime) -> Handoff | None:
        """Resolve, cancel or expire an open handoff; None if it was already finished."""
        return await self._transition(
            handoff_id, handoffs.c.state.in_([s.value for s in OPEN]), {"state": state.value, "finished_at": _ts(now)}
        )

    async def rate(self, handoff_id: int, rating: int) -> None:
        """Store the customer's 1-5 rating of a finished handoff."""
        async with self.engine.begin() as connection:
            await connection.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(rating=rating))

    async def open_handoffs(self) -> list[Handoff]:
        """Queued, waiting and claimed handoffs, oldest first."""
        query = select(handoffs).where(handoffs.c.state.in_([s.value for s in OPEN])).order_by(handoffs.c.created_at)
        async with self.engine.connect() as connection:
            return [_handoff(row) for row in (await connection.execute(query)).mappings()]

    async def expire_unclaimed(self, created_before: datetime, now: datetime) -> list[Handoff]:
        """Mark waiting handoffs nobody claimed as expired and return them (each to one caller only);
        those that hold a message left out of hours go back to the queue (requeue_unclaimed)."""
        return await self._unclaimed(created_before, False, {"state": State.EXPIRED.value, "finished_at": _ts(now)})

    async def requeue_unclaimed(self, created_before: datetime) -> list[Handoff]:
        """Put waiting handoffs nobody claimed that hold a message left out of hours back in the queue."""
        return await self._unclaimed(created_before, True, {"state": State.QUEUED.value})

    async def _unclaimed(self, created_before: datetime, queued: bool, values: dict[str, Any]) -> list[Handoff]:
        left = handoffs.c.queued_at.is_not(None) if queued else handoffs.c.queued_at.is_(None)
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(handoffs)
                .where(and_(handoffs.c.state == State.WAITING.value, handoffs.c.created_at < _ts(created_before), left))
                .values(**values)
                .returning(*handoffs.c)
            )
            return [_handoff(row) for row in result.mappings()]

    async def add_line(self, handoff_id: int, author: str, line: str, now: datetime) -> None:
        """Append a (masked) line to a handoff's transcript."""
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(transcript_lines).values(handoff_id=handoff_id, at=_ts(now), author=author, text=line)
            )

    async def transcript(self, handoff_id: int) -> list[Line]:
        """A handoff's transcript in order."""
        query = (
            select(transcript_lines).where(transcript_lines.c.handoff_id == handoff_id).order_by(transcript_lines.c.id)
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings()
            return [Line(_dt(row["at"]), row["author"], row["text"]) for row in rows]

    # -- conversation state ---------------------------------------------------------------

    async def load_state(self, key: ConversationKey) -> ConversationState:
        """What the bot remembers of this conversation (empty when new)."""
        query = select(conversations).where(_customer(key, conversations))
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        if row is None:
            return ConversationState()
        history = [(str(a), str(t)) for a, t in json.loads(row["history"])]
        return ConversationState(row["fallbacks"], row["pending"], history, loaded_pending=row["pending"])

    async def save_state(self, key: ConversationKey, state: ConversationState, now: datetime) -> None:
        """Remember this conversation's state."""
        values: dict[str, object] = {
            "fallbacks": state.fallbacks,
            "history": json.dumps(state.history, ensure_ascii=False),
            "updated_at": _ts(now),
        }
        if state.pending != state.loaded_pending:
            values["pending"] = state.pending
        where = _customer(key, conversations)
        async with self.engine.begin() as connection:
            result = await connection.execute(update(conversations).where(where).values(**values))
            if result.rowcount == 0:
                try:
                    async with connection.begin_nested():
                        await connection.execute(
                            insert(conversations).values(
                                platform=key.platform,
                                channel_id=key.channel_id,
                                user_id=key.user_id,
                                **{"pending": state.pending, **values},
                            )
                        )
                except IntegrityError:  # another process inserted it first
                    await connection.execute(update(conversations).where(where).values(**values))
        state.loaded_pending = state.pending

    # -- helpers --------------------------------------------------------------------------

    async def _one(self, condition: object) -> Handoff | None:
        query = select(handoffs).where(condition).order_by(handoffs.c.id.desc()).limit(1)  # type: ignore[arg-type]
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return _handoff(row) if row else None

    async def _transition(self, handoff_id: int, allowed: object, values: dict[str, object]) -> Handoff | None:
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(handoffs)
                .where(and_(handoffs.c.id == handoff_id, allowed))  # type: ignore[arg-type]
                .values(**values)
                .returning(*handoffs.c)
            )
            row = result.mappings().first()
        return _handoff(row) if row else None


def _customer(key: ConversationKey, table: Table = handoffs) -> Any:
    """Rows of one customer in a table keyed by platform, channel and user."""
    return and_(table.c.platform == key.platform, table.c.channel_id == key.channel_id, table.c.user_id == key.user_id)


def _handoff(row: object) -> Handoff:
    data = dict(row)  # type: ignore[call-overload]
    return Handoff(
        id=data["id"],
        key=ConversationKey(data["platform"], data["channel_id"], data["user_id"]),
        state=State(data["state"]),
        lang=data["lang"],
        customer_name=data["customer_name"],
        created_at=_dt(data["created_at"]),
        claimed_by=data["claimed_by"],
        staff_channel=data["staff_channel"],
        staff_thread=data["staff_thread"],
        rating=data["rating"],
    )
