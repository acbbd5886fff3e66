"""What the handoff and the conversation remember, as plain values: no database code here,
so the CLI and the matcher never load SQLAlchemy."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from handlers.messages import ConversationKey

HISTORY_LINES = 6


class State(StrEnum):
    """Where a handoff stands."""

    QUEUED = "queued"  # left while chat support was closed; staff pick it up when they open
    WAITING = "waiting"  # chat open, no one has claimed it yet
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # nobody claimed it in time


ACTIVE = (State.WAITING, State.CLAIMED)
OPEN = (State.QUEUED, State.WAITING, State.CLAIMED)


@dataclass(frozen=True, slots=True)
class Handoff:
    """One customer's request for a person."""

    id: int
    key: ConversationKey
    state: State
    lang: str
    customer_name: str
    created_at: datetime
    claimed_by: str | None = None
    staff_channel: str | None = None
    staff_thread: str | None = None
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a handoff's transcript (already masked)."""

    at: datetime
    author: str  # customer, bot, staff, note
    text: str


@dataclass(slots=True)
class ConversationState:
    """What the bot remembers of a conversation between messages."""

    fallbacks: int = 0
    pending: str | None = None  # what the bot is waiting for: "rating:<id>", "message"
    history: list[tuple[str, str]] = field(default_factory=list)  # (author, masked text)
    # `pending` as loaded: an unchanged one is not written back, so a rating request that
    # staff set meanwhile (from another process) is not overwritten by a stale copy.
    loaded_pending: str | None = field(default=None, repr=False, compare=False)

    def remember(self, author: str, text: str) -> None:
        """Keep the last few lines for the staff's handoff card."""
        self.history = [*self.history, (author, text)][-HISTORY_LINES:]


class EventLedger(Protocol):
    """Remembers which webhook events were handled, so a redelivered one is answered once."""

    async def first_delivery(self, platform: str, event_id: str, now: datetime) -> bool:
        """True the first time an event id is seen (by any process sharing the ledger)."""

    async def forget_delivery(self, platform: str, event_id: str) -> None:
        """Forget an event that could not be answered, so that a redelivery of it is."""


class MemoryLedger:
    """A ledger for one process without a database (the CLI, tests)."""

    def __init__(self, size: int = 10_000) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._size = size

    async def first_delivery(self, platform: str, event_id: str, now: datetime) -> bool:
        """True the first time this process sees the event id."""
        key = (platform, event_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    async def forget_delivery(self, platform: str, event_id: str) -> None:
        """Forget an event that could not be answered."""
        self._seen.pop((platform, event_id), None)
