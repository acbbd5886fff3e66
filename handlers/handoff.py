"""Human handoff: a customer talks to staff and back, with state kept in Storage.

The core decides; two ports carry the words: a StaffDesk (Slack) where cards and threads
live, and a CustomerLine per platform (LINE) that pushes staff replies to the customer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from handlers import texts
from handlers.hours import SupportHours
from handlers.masking import mask
from handlers.messages import ConversationKey, QuickReply, Reply
from handlers.records import Handoff, State

if TYPE_CHECKING:
    from handlers.storage import Storage

log = logging.getLogger("supportbot.handoff")

NOTE_PREFIX = "note:"
STAFF_LINE_MASKED = (
    "この返信には伏せ字にした部分があり、お客様にも伏せ字のまま届きました(パスワードやコードは送らないでください)。"
)
CANCEL_WORDS = frozenset(
    {"終了", "しゅうりょう", "キャンセル", "きゃんせる", "やめる", "cancel", "end", "stop", "quit"}
)
RATINGS = ("1", "2", "3", "4", "5")
DEFAULT_CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Card:
    """What staff see when a customer asks for a person."""

    handoff: Handoff
    recent: list[tuple[str, str]]  # (author, masked text), oldest first
    suggestion: str | None  # what the bot last offered, if anything
    first_message: str | None = None  # for a message left while chat was closed


class StaffDesk(Protocol):
    """Where staff work (Slack)."""

    async def open_card(self, card: Card) -> tuple[str, str] | None:
        """Post the card; return (channel, thread id) or None if it could not be posted."""

    async def post_in_thread(self, handoff: Handoff, author: str, text: str) -> None:
        """Show a line in the handoff's thread."""

    async def mark(self, handoff: Handoff, status: str) -> None:
        """Tell the thread that the handoff was claimed, resolved, cancelled or expired."""


class CustomerLine(Protocol):
    """How a platform reaches a customer outside a reply (LINE push)."""

    async def push(self, key: ConversationKey, replies: list[Reply], retry_id: str) -> None:
        """Deliver replies; the same retry_id never delivers twice."""

    async def display_name(self, key: ConversationKey) -> str:
        """The customer's name as the platform shows it."""


class HandoffService:
    """Starts, routes and ends handoffs."""

    def __init__(
        self,
        storage: Storage,
        hours: SupportHours,
        desk: StaffDesk,
        customers: dict[str, CustomerLine],
        claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT,
    ) -> None:
        self.storage = storage
        self.hours = hours
        self.desk = desk
        self.customers = customers
        self.claim_timeout = claim_timeout

    def chat_open(self, at: datetime) -> bool:
        """Whether live handoffs are possible now (chat support hours)."""
        return self.hours.is_open(self.hours.channel("chat"), at)

    async def start(
        self,
        key: ConversationKey,
        lang: str,
        at: datetime,
        recent: list[tuple[str, str]],
        suggestion: str | None,
        first_message: str | None = None,
    ) -> Handoff | None:
        """Open a handoff (waiting when chat is open, queued with a left message otherwise).

        Returns None when staff could not be reached (a new handoff is then cancelled).
        """
        state = State.QUEUED if first_message is not None else State.WAITING
        name = await self._name(key)
        handoff, created = await self.storage.create_handoff(key, state, lang, name, at)
        if first_message is not None:
            await self.storage.add_line(handoff.id, "customer", first_message, at)
        if not created:
            # The customer's open handoff: one that another process has just opened, or one left
            # out of hours, which staff see in its thread from now on as a live request.
            if handoff.state is State.QUEUED and state is State.WAITING:
                promoted = await self.storage.promote(handoff.id, at)
                if promoted is not None:
                    handoff = promoted
                    await self._mark(handoff, "live")
            if first_message is not None:
                try:
                    await self.desk.post_in_thread(handoff, "customer", first_message)
                except Exception:
                    log.exception("handoff %d: a left message could not be posted", handoff.id)
                    return None  # the customer is told staff cannot be reached; it stays in the transcript
            return handoff
        try:
            thread = await self.desk.open_card(Card(handoff, recent, suggestion, first_message))
        except Exception:
            log.exception("handoff %d: the card could not be posted", handoff.id)
            thread = None
        if thread is None:
            await self.storage.finish(handoff.id, State.CANCELLED, at)
            return None
        await self.storage.set_thread(handoff.id, *thread)
        log.info("handoff %d opened (%s)", handoff.id, state.value)
        return handoff

    async def from_customer(self, handoff: Handoff, text: str, at: datetime) -> bool:
        """A customer's message during a handoff goes to the staff thread, not to the bot;
        False when it could not be posted (it is in the transcript all the same)."""
        await self.storage.add_line(handoff.id, "customer", text, at)
        try:
            await self.desk.post_in_thread(handoff, "customer", text)
        except Exception:
            log.exception("handoff %d: a customer's line could not be posted", handoff.id)
            return False
        return True

    async def cancel_by_customer(self, handoff: Handoff, at: datetime) -> Handoff | None:
        """The customer wrote 終了 / cancel."""
        finished = await self.storage.finish(handoff.id, State.RESOLVED, at)
        if finished is not None:
            await self._mark(finished, "customer_ended")
        return finished

    async def from_staff(self, channel: str, thread: str, staff: str, text: str, message_id: str, at: datetime) -> bool:
        """A staff line in a handoff thread: internal note, or a reply pushed to the customer."""
        handoff = await self.storage.by_thread(channel, thread)
        if handoff is None:
            return False
        if handoff.state not in (State.QUEUED, State.WAITING, State.CLAIMED):
            await self.desk.post_in_thread(
                handoff, "bot", "このハンドオフは終了しています。この返信はお客様に届きません。"
            )
            return False
        found = mask(text)
        masked = found.text
        if masked.strip().lower().startswith(NOTE_PREFIX):
            await self.storage.add_line(handoff.id, "note", masked, at)
            return True
        if handoff.state is not State.CLAIMED:
            claimed = await self.storage.claim(handoff.id, staff, at)
            if claimed is not None:
                await self._mark(claimed, "claimed")
        await self.storage.add_line(handoff.id, "staff", masked, at)
        # A secret never leaves by this road either: the customer then gets what the transcript
        # keeps. Otherwise the reply goes as staff wrote it (masking also folds widths: ① to 1).
        pushed = await self._push(
            handoff, [Reply(masked if found.hidden else text, intent="handoff")], f"staff:{message_id}"
        )
        if found.hidden:
            try:
                await self.desk.post_in_thread(handoff, "bot", STAFF_LINE_MASKED)
            except Exception:
                log.warning("handoff %d: could not tell staff that their reply was masked", handoff.id, exc_info=True)
        return pushed

    async def claim(self, handoff_id: int, staff: str, at: datetime) -> Handoff | None:
        """A staff member takes the handoff (担当する)."""
        claimed = await self.storage.claim(handoff_id, staff, at)
        if claimed is not None:
            await self._mark(claimed, "claimed")
            note = Reply(texts.text(claimed.lang, "handoff_claimed"), intent="handoff")
            await self._push(claimed, [note], f"claimed:{claimed.id}")
        return claimed

    async def resolve(self, handoff_id: int, at: datetime) -> Handoff | None:
        """Staff mark it done (解決済み): thank the customer and ask for a rating."""
        finished = await self.storage.finish(handoff_id, State.RESOLVED, at)
        if finished is None:
            return None
        # Remember that a rating is due before asking, so a quick tap always finds it.
        state = await self.storage.load_state(finished.key)
        state.pending = f"rating:{finished.id}"
        await self.storage.save_state(finished.key, state, at)
        await self._mark(finished, "resolved")
        await self._push(finished, [rating_reply(finished.lang)], f"resolved:{finished.id}")
        return finished

    async def expire(self, at: datetime) -> list[Handoff]:
        """Waiting handoffs nobody claimed in time: tell the customer and offer the form."""
        cutoff = at - self.claim_timeout
        for handoff in await self.storage.requeue_unclaimed(cutoff):
            # Asked live after leaving a message: the message stays with staff, in the queue.
            await self._tell_both(handoff, "requeued", f"{int(handoff.created_at.timestamp())}")
        expired = await self.storage.expire_unclaimed(cutoff, at)
        for handoff in expired:
            await self._tell_both(handoff, "expired")
        return expired

    async def _tell_both(self, handoff: Handoff, status: str, occasion: str = "") -> None:
        """Tell the customer (text handoff_<status>) and the thread what happened to a handoff."""
        notice = Reply(texts.text(handoff.lang, f"handoff_{status}"), intent="handoff")
        await self._push(handoff, [notice], ":".join(filter(None, (status, str(handoff.id), occasion))))
        await self._mark(handoff, status)

    async def _mark(self, handoff: Handoff, status: str) -> None:
        """Note in the thread what happened to a handoff; a note Slack refuses is logged and
        never stands in the way of what the customer is owed (a reply, a rating request)."""
        try:
            await self.desk.mark(handoff, status)
        except Exception:
            log.exception("handoff %d: could not note %r in its thread", handoff.id, status)

    async def _push(self, handoff: Handoff, replies: list[Reply], retry_id: str) -> bool:
        """Deliver to the customer, retrying once (the retry id makes that safe); tell staff on failure."""
        line = self.customers.get(handoff.key.platform)
        if line is None:
            log.warning("no way to reach %s customers", handoff.key.platform)
            return False
        for attempt in (1, 2):
            try:
                await line.push(handoff.key, replies, retry_id)
                return True
            except Exception as exc:
                log.warning("handoff %d: push attempt %d failed (%s)", handoff.id, attempt, type(exc).__name__)
        try:
            await self.desk.post_in_thread(
                handoff, "bot", "⚠ お客様にメッセージを届けられませんでした。時間をおいて再送してください。"
            )
        except Exception:
            log.exception("handoff %d: could not tell staff about a failed push", handoff.id)
        return False

    async def _name(self, key: ConversationKey) -> str:
        line = self.customers.get(key.platform)
        if line is None:
            return key.user_id
        try:
            return await line.display_name(key)
        except Exception:  # a profile lookup must never stop a handoff
            log.warning("no display name for a %s customer", key.platform)
            return "-"


def rating_reply(lang: str, key: str = "handoff_resolved") -> Reply:
    """Thanks, and one tap to rate 1-5."""
    buttons = tuple(QuickReply("★" * int(n), n) for n in RATINGS)
    return Reply(texts.text(lang, key), buttons, intent="handoff")


def is_cancel(text: str) -> bool:
    """The customer wants to end the handoff."""
    return text.strip().lower().rstrip("。.!！") in CANCEL_WORDS


def rating_of(text: str) -> int | None:
    """A 1-5 rating typed or tapped (★★★ counts as 3)."""
    value = text.strip()
    if value in RATINGS:
        return int(value)
    stars = value.count("★")
    return stars if 1 <= stars <= 5 and value.replace("★", "") == "" else None
