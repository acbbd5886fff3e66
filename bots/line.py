"""LINE adapter: verified webhook in, platform-neutral Incoming to the core, Replies out as LINE messages.

LINE gives a webhook two seconds and a reply token about a minute, once. The webhook verifies
and parses, answers 200 at once, and the events are answered in the background: by reply
token while it is fresh, else (or when the reply call fails) by push with a retry key derived
from the event id, so a retried push is never delivered twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
import orjson
from aiohttp import web
from linebot.v3.webhook import SignatureValidator

from bots.backlog import Backlog
from bots.line_api import LineApi, LineApiError, Message
from bots.logs import EVENT_ID
from bots.metrics import Metrics
from handlers.conversation import Conversation
from handlers.hours import TOKYO
from handlers.messages import ConversationKey, Incoming, Kind, Reply
from handlers.records import EventLedger, MemoryLedger

log = logging.getLogger("supportbot.line")

PushOutcome = Literal["delivered", "refused", "again"]
Retry = tuple[ConversationKey, str, list[Message]]  # whom, which event, what: a push to try again

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_ACTION_TEXT = 300
# A reply token is good for about a minute; past this age the answer goes out by push.
REPLY_TOKEN_SECONDS = 50.0
REPLY_TIMEOUT_SECONDS = 5.0
PUSH_TIMEOUT_SECONDS = 10.0
# A push that fails for a reason that may pass (a timeout, a 5xx, a 429) is tried again after
# each of these pauses (about half a minute in all), outside the answering slots.
PUSH_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
# How long the redelivery check may take before the event is answered without it.
LEDGER_SECONDS = 2.0
# Shutdown waits this long for accepted events (a Procfile platform kills the process 30 s after
# SIGTERM, and Slack's events may take as long again).
DRAIN_SECONDS = 10.0
MAX_LOGGED_IDS = 20
ANSWERING = 16
# Events acknowledged but not yet answered. At this many, a webhook waits for room before its
# acknowledgement, so a flood beyond capacity slows LINE down instead of growing memory.
MAX_PENDING = 128
_RETRY_NAMESPACE = uuid.UUID("8d6f3c1e-4b0a-4f5e-9a57-2b1c0e6d7f10")


class BadWebhook(Exception):
    """A request LINE did not sign, or that is not a webhook body."""


class LineChannel:
    """The LINE webhook and the Messaging API client of one channel."""

    def __init__(
        self,
        conversation: Conversation,
        channel_secret: str,
        access_token: str,
        api_base_url: str,
        reply_timeout: float = REPLY_TIMEOUT_SECONDS,
        max_pending: int = MAX_PENDING,
        ledger: EventLedger | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.conversation = conversation
        self.metrics = metrics or Metrics()
        self.ledger: EventLedger = ledger or MemoryLedger()
        self._validator = SignatureValidator(channel_secret)
        self._api = LineApi(api_base_url, access_token)
        self._reply_timeout = reply_timeout
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()  # ids of the accepted events not answered yet
        self._lost_ids: set[str] = set()  # events counted lost and not finished yet: each counts once
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # per customer: lock, tasks using it
        # Events answered at once. Fewer than the webhooks in flight, so new webhooks are
        # acknowledged between answers instead of behind all of them.
        self._answering = asyncio.Semaphore(ANSWERING)
        self._backlog = Backlog(max_pending)

    async def start(self, _: web.Application) -> None:
        """Open the Messaging API client (aiohttp on_startup)."""
        await self._api.start()

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every accepted event has been answered, or `timeout` seconds have passed;
        then give up on the rest, naming them in the log."""
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - asyncio.get_running_loop().time()
            if left is not None and left <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=left)
        if self._tasks:
            unanswered = sorted(self._in_flight)
            log.error(
                "line: %d events not answered within %.1f s of shutdown: %s",
                len(unanswered),
                timeout,
                ", ".join(unanswered[:MAX_LOGGED_IDS]) + (" …" if len(unanswered) > MAX_LOGGED_IDS else ""),
            )
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self, _: web.Application) -> None:
        """Finish the events in flight (within DRAIN_SECONDS), then close the client (aiohttp on_cleanup)."""
        await self.drain(DRAIN_SECONDS)
        await self._api.close()

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /line/webhook: verify, parse, acknowledge, answer in the background."""
        body = await request.read()  # over client_max_size: aiohttp answers 413
        try:
            events = self.parse(body, request.headers.get("X-Line-Signature"))
        except BadWebhook as exc:
            log.warning("line webhook refused: %s", exc)
            return web.json_response({"error": str(exc)}, status=400)
        for event in events:
            self.metrics.event_of("line", str(event.get("type", "?"))[:32]).inc()
        log.debug("line webhook accepted: %d events", len(events))
        # One task per customer, answering their events in order; different customers in parallel.
        # The redelivery check runs there too, so the acknowledgement never waits for the database.
        by_source: dict[str, list[dict[str, object]]] = {}
        for event in events:
            by_source.setdefault(_source_key(event), []).append(event)
        await self._backlog.admit(len(events))
        self._in_flight.update(_event_id(event) for event in events)
        for source, batch in by_source.items():
            task = asyncio.create_task(self._answer_in_order(source, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(body=b"{}", content_type="application/json")

    def parse(self, body: bytes, signature: str | None) -> list[dict[str, object]]:
        """Check the signature before anything else, then return the raw event objects."""
        if not signature:
            raise BadWebhook("missing X-Line-Signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadWebhook("body is not UTF-8") from None
        try:
            valid = self._validator.validate(text, signature)
        except UnicodeError:  # a header of bytes that are not text
            valid = False
        if not valid:
            raise BadWebhook("signature does not match")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BadWebhook("body is not JSON") from None
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise BadWebhook("body has no events list")
        return [event for event in events if isinstance(event, dict)]

    async def _first_delivery(self, event: dict[str, object]) -> bool:
        # LINE redelivers an event it thinks we missed (deliveryContext.isRedelivery) with the
        # same webhookEventId, to this process or another: answer it once.
        event_id = event.get("webhookEventId")
        if not isinstance(event_id, str):
            return True
        try:
            async with asyncio.timeout(LEDGER_SECONDS):
                first = await self.ledger.first_delivery("line", event_id, datetime.now(UTC))
        except Exception as exc:
            # Better a rare second answer than a lost one (or a 500) while the database is away.
            log.error("line event %s: ledger unavailable (%s), answering anyway", event_id, type(exc).__name__)
            return True
        if not first:
            log.info("line event %s already handled", event_id)
        return first

    async def _answer_in_order(self, source: str, batch: list[dict[str, object]]) -> None:
        lock, users = self._locks.get(source, (asyncio.Lock(), 0))
        self._locks[source] = (lock, users + 1)
        unanswered = len(batch)
        try:
            async with lock:
                for raw in batch:
                    event_id = _event_id(raw)
                    EVENT_ID.set(event_id)
                    retry = None
                    if await self._first_delivery(raw):
                        async with self._answering:
                            retry = await self._answer(raw)
                    unanswered -= 1
                    if retry is None:
                        self._finished(event_id)
                        continue
                    # Pushed again in a task of its own, outside the answering slots: the
                    # customer's next messages are answered meanwhile, by reply while their
                    # tokens are fresh (and may overtake this answer). Its room in the backlog is
                    # kept until it ends, so an outage still bounds what waits.
                    task = asyncio.create_task(self._push_again(*retry))
                    self._tasks.add(task)
                    # In a callback, not in the task: a task cancelled before its first step never runs.
                    task.add_done_callback(functools.partial(self._retried, event_id))
        finally:
            # Cancelled part-way (shutdown): the rest is lost, and its room given back all the same.
            for raw in batch[len(batch) - unanswered :]:
                self._count_lost(_event_id(raw), "shutdown")
                self._finished(_event_id(raw))
            lock, users = self._locks[source]
            if users == 1:
                del self._locks[source]
            else:
                self._locks[source] = (lock, users - 1)

    async def _answer(self, raw: dict[str, object]) -> Retry | None:
        """Answer one event; what is left to push again when the first push failed for a
        reason that may pass."""
        event_id = _event_id(raw)
        try:
            incoming = to_incoming(raw)
            if incoming is None:
                log.info("line event %s ignored (%s)", event_id, str(raw.get("type"))[:40])
                return None
            replies = await self.conversation.handle(incoming)
            self.metrics.replied(replies)
            if replies:
                return await self._send(raw, incoming.key, event_id, to_messages(replies))
        except Exception:
            log.exception("line event %s failed", event_id)
            await self._lost(event_id, "error")
        return None

    async def _send(
        self, raw: dict[str, object], key: ConversationKey, event_id: str, messages: list[Message]
    ) -> Retry | None:
        token = raw.get("replyToken")
        age = time.time() - _number(raw.get("timestamp")) / 1000
        if isinstance(token, str) and token and age < REPLY_TOKEN_SECONDS:
            try:
                await self._api.reply(token, messages, self._reply_timeout)
                log.info("line event %s answered by reply", event_id)
                return None
            except (LineApiError, aiohttp.ClientConnectorError) as exc:
                # Refused, or never sent: safe to replace with a push.
                log.warning("line event %s reply failed (%s), pushing instead", event_id, _reason(exc))
            except (TimeoutError, aiohttp.ClientError) as exc:
                # Cut off: it may have arrived (a slow answer) or never left (a kept-alive
                # connection the server had just closed). The same token again settles it: LINE
                # refuses a token already used, so this cannot say anything twice. A push could.
                log.warning("line event %s reply lost (%s); replying again", event_id, _reason(exc))
                try:
                    await self._api.reply(token, messages, self._reply_timeout)
                    log.info("line event %s answered by a second reply", event_id)
                except Exception as again:
                    # Refused (the first used the token) or lost again: a push could say it twice.
                    log.warning("line event %s: second reply failed (%s); not pushing", event_id, _reason(again))
                    self._count_lost(event_id, "uncertain")
                return None
        return (key, event_id, messages) if await self._push(key, event_id, messages, 1) == "again" else None

    async def _push(self, key: ConversationKey, event_id: str, messages: list[Message], attempt: int) -> PushOutcome:
        """One push of an event's answer: delivered, refused for good, or worth trying again."""
        try:
            await self._api.push(key.channel_id, messages, retry_key(event_id), PUSH_TIMEOUT_SECONDS)
            log.info("line event %s answered by push", event_id)
            return "delivered"
        except LineApiError as exc:
            if exc.status == 409:  # the retry key was accepted before: delivered already
                log.info("line event %s push already accepted", event_id)
                return "delivered"
            if exc.status != 429 and exc.status < 500:
                log.error("line event %s push refused (%s)", event_id, _reason(exc))
                await self._lost(event_id, "refused")
                return "refused"
            failure = _reason(exc)
        except (TimeoutError, aiohttp.ClientError) as exc:
            failure = _reason(exc)
        log.warning("line event %s push attempt %d failed (%s)", event_id, attempt, failure)
        return "again"

    def _retried(self, event_id: str, task: asyncio.Task[None]) -> None:
        """A retry ended: give its room back; one cancelled (even before it ran) is lost to shutdown."""
        self._tasks.discard(task)
        if task.cancelled():
            self._count_lost(event_id, "shutdown")
        self._finished(event_id)

    def _finished(self, event_id: str) -> None:
        """An accepted event is done with, answered or not: its room in the backlog is free."""
        self._in_flight.discard(event_id)
        self._lost_ids.discard(event_id)
        self._backlog.done(1)

    def _count_lost(self, event_id: str, reason: str) -> bool:
        """Count an answer as lost, once per event; False when it was counted already."""
        if event_id in self._lost_ids:
            return False
        self._lost_ids.add(event_id)
        self.metrics.lost_of("line", reason).inc()
        return True

    async def _push_again(self, key: ConversationKey, event_id: str, messages: list[Message]) -> None:
        """Push after growing pauses (with jitter, so that waiting answers do not all return to
        LINE at once) until one attempt settles it; the retry key makes every repeat harmless."""
        try:
            for attempt, delay in enumerate(PUSH_RETRY_DELAYS, start=2):
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                if await self._push(key, event_id, messages, attempt) != "again":
                    return
        except asyncio.CancelledError:  # shutdown came first
            await self._lost(event_id, "shutdown")
            raise
        except Exception:
            log.exception("line event %s: retrying its push failed", event_id)
            await self._lost(event_id, "error")
            return
        log.error("line event %s not answered: every push failed", event_id)
        await self._lost(event_id, "unreachable")

    async def _lost(self, event_id: str, reason: str) -> None:
        """Count an answer that could not be delivered, and forget the event so that LINE's
        redelivery of it (if one comes) is answered."""
        if not self._count_lost(event_id, reason):
            return
        try:
            async with asyncio.timeout(LEDGER_SECONDS):
                await self.ledger.forget_delivery("line", event_id)
        except Exception as exc:
            log.warning("line event %s: could not forget it (%s)", event_id, type(exc).__name__)

    async def push(self, key: ConversationKey, replies: list[Reply], retry_id: str) -> None:
        """CustomerLine: push replies (a staff answer, a rating request) with a stable retry key."""
        try:
            await self._api.push(key.channel_id, to_messages(replies), retry_key(retry_id), PUSH_TIMEOUT_SECONDS)
        except LineApiError as exc:
            if exc.status != 409:  # 409: that retry key was delivered already
                raise

    async def display_name(self, key: ConversationKey) -> str:
        """CustomerLine: the customer's LINE display name."""
        profile = await self._api.profile(key.user_id, PUSH_TIMEOUT_SECONDS)
        return str(profile.get("displayName") or "")


def _event_id(event: dict[str, object]) -> str:
    """The event's id as logs show it."""
    return str(event.get("webhookEventId", "-"))[:64]


def _source_key(event: dict[str, object]) -> str:
    source = event.get("source")
    if isinstance(source, dict):
        for field in ("userId", "groupId", "roomId"):
            if isinstance(source.get(field), str):
                return f"{field}:{source[field]}"
    return f"event:{event.get('webhookEventId')}"


def retry_key(event_id: str) -> str:
    """The same UUID for every push that answers one event."""
    return str(uuid.uuid5(_RETRY_NAMESPACE, event_id))


def to_incoming(raw: dict[str, object]) -> Incoming | None:
    """Convert a LINE webhook event (its JSON object) to the core's Incoming; None when the bot stays silent.

    Read straight from the JSON: the SDK's event models cost more than answering the question,
    and every field is checked here for type before it is used.
    """
    if raw.get("mode") == "standby":
        return None  # another channel (a human agent tool) holds the chat
    key = _key(raw.get("source"))
    if key is None:
        return None
    at = _moment(raw.get("timestamp"))
    kind = raw.get("type")
    if kind == "follow":
        return Incoming(key, "", at, Kind.FOLLOW)
    if kind == "postback":
        data = _field(raw.get("postback"), "data")
        return Incoming(key, data, at, Kind.ACTION) if isinstance(data, str) else None
    message = raw.get("message")
    if kind != "message" or not isinstance(message, dict):
        return None
    in_group = isinstance(raw.get("source"), dict) and _field(raw.get("source"), "type") in ("group", "room")
    if message.get("type") == "text":
        if not isinstance(message.get("text"), str):
            return None
        mentionees = _mentionees(message)
        if in_group and not any(m.get("isSelf") is True for m in mentionees):
            return None
        return Incoming(key, _without_mentions(message["text"], mentionees), at, Kind.TEXT)
    return None if in_group else Incoming(key, "", at, Kind.MEDIA)


def _field(value: object, name: str) -> object:
    return value.get(name) if isinstance(value, dict) else None


def _moment(timestamp: object) -> datetime:
    """When LINE says the event happened (milliseconds since the epoch), in Tokyo; now when
    the number is no possible time (a signed but broken event still gets its answer)."""
    try:
        return datetime.fromtimestamp(_number(timestamp) / 1000, tz=UTC).astimezone(TOKYO)
    except (OverflowError, OSError, ValueError):
        return datetime.now(TOKYO)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _key(source: object) -> ConversationKey | None:
    if not isinstance(source, dict):
        return None
    user = source.get("userId") if isinstance(source.get("userId"), str) else None
    kind = source.get("type")
    if kind == "user" and user:
        return ConversationKey("line", user, user)
    for kind_name, field in (("group", "groupId"), ("room", "roomId")):
        channel = source.get(field)
        if kind == kind_name and isinstance(channel, str) and channel:
            return ConversationKey("line", channel, user or "-")
    return None


def _mentionees(message: dict[str, Any]) -> list[dict[str, Any]]:
    mentionees = _field(message.get("mention"), "mentionees")
    return [m for m in mentionees if isinstance(m, dict)] if isinstance(mentionees, list) else []


def _without_mentions(text: str, mentionees: list[dict[str, Any]]) -> str:
    spans = [(m.get("index"), m.get("length")) for m in mentionees]
    for index, length in sorted(((i, n) for i, n in spans if isinstance(i, int) and isinstance(n, int)), reverse=True):
        text = text[:index] + text[index + length :]
    return text.strip()


def to_messages(replies: Iterable[Reply]) -> list[Message]:
    """Render replies as LINE message objects within its limits: 5 messages, 5,000 characters, 13 quick replies.

    LINE shows quick replies only under the last message, so the last suggestions go there.
    """
    replies = list(replies)[:MAX_MESSAGES]
    suggestions = next((r.quick_replies for r in reversed(replies) if r.quick_replies), ())
    messages: list[Message] = [{"type": "text", "text": _cut(reply.text or "…", MAX_TEXT)} for reply in replies]
    if messages and suggestions:
        items = [
            {
                "type": "action",
                "action": {"type": "message", "label": _cut(q.label, MAX_LABEL), "text": _cut(q.text, MAX_ACTION_TEXT)},
            }
            for q in suggestions[:MAX_QUICK_REPLIES]
        ]
        messages[-1]["quickReply"] = {"items": items}
    return messages


def _cut(text: str, limit: int) -> str:
    """Cut to `limit` as LINE counts: UTF-16 code units (an emoji outside the BMP is two)."""
    if len(text) * 2 <= limit or len(text.encode("utf-16-le")) // 2 <= limit:  # no character is more than two
        return text
    out, used = [], 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit - 1:
            break
        out.append(ch)
        used += width
    return "".join(out) + "…"


def _reason(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    return f"HTTP {status}" if status else type(exc).__name__
