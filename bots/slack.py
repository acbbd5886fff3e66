"""Slack adapter: slack-bolt's AsyncApp, mounted on the shared aiohttp server at POST /slack/events
when a signing secret is set, and over Socket Mode when an app token is.

Staff look up answers (`/faq`), see whether support is open (`/support-hours`), and ask the bot
by mention or direct message. Every request is acknowledged before the work (Slack allows three
seconds); a retried event whose event_id was handled is acknowledged and not answered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond, AsyncSay
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bots.logs import EVENT_ID
from bots.metrics import Metrics
from bots.settings import StartupError
from bots.slack_blocks import (
    ACTION_CLAIM,
    ACTION_POST,
    ACTION_RESOLVE,
    ACTION_SHOW,
    AUTHOR_LABELS,
    answer_blocks,
    catalogue_blocks,
    entry_blocks,
    escape,
    handoff_card,
    handoff_list,
    parse_value,
    to_plain,
)
from handlers import texts
from handlers.conversation import Conversation
from handlers.handoff import Card, HandoffService
from handlers.hours import TOKYO
from handlers.records import EventLedger, Handoff, MemoryLedger

log = logging.getLogger("supportbot.slack")
# How long start-up waits for Slack to say whether it takes the app token; the port opens after.
PRECHECK_SECONDS = 5.0
# What apps.connections.open answers for a token that will never work.
REFUSED_TOKEN = frozenset({"invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked", "account_inactive"})
# How long shutdown waits for Slack work that was acknowledged but is still running (LINE's
# drain comes after it: together well inside the 30 s a Procfile platform allows after SIGTERM).
DRAIN_SECONDS = 10.0
LEDGER_SECONDS = 1.5

MEMBERS_TTL = 60.0
# A staff reply in a handoff thread may also be sent to the channel, or carry a file.
STAFF_SUBTYPES = ("thread_broadcast", "file_share")
FILES_NOT_SENT = "⚠ 添付ファイルはお客様に届きません。必要な内容は文章でお送りください。"
_MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")


class SlackChannel:
    """The Bolt app, its HTTP route (with a signing secret) and its Socket Mode connection (with an app token)."""

    def __init__(
        self,
        conversation: Conversation,
        bot_token: str,
        signing_secret: str | None,
        api_base_url: str,
        app_token: str | None = None,
        handoff_channel: str | None = None,
        ledger: EventLedger | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.conversation = conversation
        self.responder = conversation.responder
        self.handoff_channel = handoff_channel
        self.handoffs: HandoffService | None = None  # set by the composition root once built
        self._members: tuple[float, frozenset[str]] = (0.0, frozenset())
        # None over Socket Mode alone: then no HTTP request is ever valid.
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._app_token = app_token
        self._socket: Any = None
        self._connecting: asyncio.Task[None] | None = None
        self.ledger: EventLedger = ledger or MemoryLedger()
        self.metrics = metrics or Metrics()
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # Every handoff thread is in one channel, where Slack allows about a message a second:
        # a 429 is waited out (Retry-After), as are a dropped connection and a 5xx.
        retries = [
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),  # once: a LINE event waits on it
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ]
        client = AsyncWebClient(token=bot_token, base_url=api_base_url, retry_handlers=retries)
        _BOLT_LOG.addFilter(_token_given_twice)  # idempotent: a filter is added once
        # The token is the client's. Signatures are checked once, in `events`, before Bolt sees
        # the body: Bolt's own check would log the body and signature of a request it refuses.
        # "" rather than None: given None, Bolt reads SLACK_SIGNING_SECRET from the environment itself.
        self.app = AsyncApp(client=client, signing_secret=signing_secret or "", request_verification_enabled=False)
        self._register()

    async def start(self, _: web.Application) -> None:
        """Connect over Socket Mode when an app token is configured (aiohttp on_startup)."""
        if self._app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            # The Socket Mode client retries a refused token every ten seconds for ever: ask once
            # first, so that a wrong token stops start-up instead.
            # Anything else (Slack unreachable for a moment) is left to that retry loop.
            try:
                await asyncio.wait_for(
                    self.app.client.apps_connections_open(app_token=self._app_token), PRECHECK_SECONDS
                )
            except SlackApiError as exc:
                error = exc.response.get("error")
                if error in REFUSED_TOKEN:
                    raise StartupError(f"SLACK_APP_TOKEN: Slack refused the app token ({error})") from None
                log.warning("slack socket mode: apps.connections.open failed (%s); retrying", error)
            except Exception as exc:
                log.warning("slack socket mode: Slack unreachable (%s); retrying", type(exc).__name__)

            self._socket = AsyncSocketModeHandler(self.app, self._app_token)
            # In the background: while Slack cannot be reached, the rest of the server (LINE,
            # /healthz) serves all the same.
            self._connecting = asyncio.create_task(self._connect(self._socket))

    async def _connect(self, socket: Any) -> None:
        await socket.connect_async()
        log.info("slack socket mode connected")

    async def stop(self, _: web.Application) -> None:
        """Finish the work in flight, then close the Socket Mode connection (aiohttp on_cleanup)."""
        await self.drain()
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._socket is not None:
            await self._socket.close_async()

    async def events(self, request: web.Request) -> web.Response:
        """POST /slack/events: events, slash commands and interactivity."""
        raw = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        # A timestamp that is no number (or too large for one), a signature that is not ASCII:
        # slack_sdk raises on them instead of answering False.
        unreadable = (ValueError, TypeError, UnicodeError, OverflowError)
        try:
            valid = self._verifier is not None and self._verifier.is_valid(raw, timestamp, signature)
        except unreadable:
            valid = False
        if not valid:
            log.warning("slack request refused: bad or stale signature")
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        payload = _payload(body, request.content_type)
        if payload is None:
            log.warning("slack request refused: not an event, command or interaction")
            return web.json_response({"error": "not a Slack event, command or interaction"}, status=400)
        try:
            bolt_response = await self.app.async_dispatch(
                AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
            )
        except Exception:
            log.exception("slack request failed")
            return web.json_response({"error": "could not process the request"}, status=400)
        if bolt_response.status >= 500:
            # Bolt's own failure on a payload it could not read: a 500 would only make Slack retry it.
            log.error("slack request failed in Bolt (HTTP %d, event %s)", bolt_response.status, EVENT_ID.get() or "-")
            return web.json_response({"error": "could not process the request"}, status=400)
        content_type = bolt_response.headers.get("content-type", ["text/plain"])[0].split(";")[0]
        return web.Response(status=bolt_response.status, body=bolt_response.body, content_type=content_type)

    def _register(self) -> None:
        app = self.app

        # In a middleware, so events over HTTP and over Socket Mode are both taken once.
        async def once(body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
            event = body.get("event")
            kind = event.get("type") if isinstance(event, dict) else body.get("type") or body.get("command")
            self.metrics.event_of("slack", str(kind or "?")[:32]).inc()  # over HTTP and Socket Mode alike
            event_id = body.get("event_id")
            # Commands and interactions have no event id; their trigger id names them in logs.
            label = event_id if isinstance(event_id, str) else body.get("trigger_id")
            EVENT_ID.set(str(label)[:64] if label else None)  # the listener's task inherits it
            if isinstance(event_id, str) and not await self._first_delivery(event_id):
                return BoltResponse(status=200, body="")
            return await next()

        app.middleware(once)
        track = self._tracked
        app.command("/faq")(track(self._faq))
        app.command("/support-hours")(track(self._support_hours))
        app.action(re.compile(f"^{ACTION_SHOW}"))(track(self._show))
        app.action(ACTION_POST)(track(self._post))
        app.event("app_mention")(track(self._mention))
        app.event("message")(track(self._message))
        app.command("/handoffs")(track(self._list_handoffs))
        app.action(ACTION_CLAIM)(track(self._claim))
        app.action(ACTION_RESOLVE)(track(self._resolve))

    def _tracked(self, listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """The listener, counted while it runs, so that shutdown can wait for it.

        Bolt runs a listener in a task of its own once it has acknowledged; nothing else
        would know that the work is still going. functools.wraps keeps the signature that
        Bolt reads to choose the arguments.
        """

        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            self._running += 1
            self._idle.clear()
            name = listener.__name__.lstrip("_")
            try:
                await listener(**kwargs)
                log.info("slack %s done (event %s)", name, EVENT_ID.get() or "-")
            except Exception:
                # Acknowledged already: Slack will not retry, so this is the only trace of it.
                log.exception("slack %s failed (event %s)", name, EVENT_ID.get() or "-")
            finally:
                self._running -= 1
                if self._running == 0:
                    self._idle.set()

        return run

    async def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        """Wait (up to `timeout`) until no listener is running."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    async def _faq(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        question = (command.get("text") or "").strip()
        kb = self.responder.matcher.kb
        if not question:
            await respond(text="FAQ", blocks=catalogue_blocks(kb), response_type="ephemeral")
            return
        answer = self.responder.answer(question, datetime.now(TOKYO), top=5)
        self.metrics.replied([answer.reply])
        text, blocks = answer_blocks(answer, kb)
        await respond(text=text, blocks=blocks, response_type="ephemeral")

    async def _support_hours(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        lang = "en" if (command.get("text") or "").strip().lower() == "en" else "ja"
        text = texts.hours_text(lang, self.responder.hours, datetime.now(TOKYO))
        await respond(text=text, response_type="ephemeral")

    async def _show(self, ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        entry_id, lang = parse_value(action.get("value", ""))
        entry = self.responder.matcher.kb.get(entry_id)
        if entry is None:
            await respond(text=f"unknown entry {entry_id}", response_type="ephemeral", replace_original=False)
            return
        others = [self.responder.matcher.kb.get(r) for r in entry.related]
        blocks = entry_blocks(entry, lang, None, [o for o in others if o is not None])
        await respond(text=entry.answer_in(lang), blocks=blocks, response_type="ephemeral", replace_original=True)

    async def _post(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        entry_id, lang = parse_value(action.get("value", ""))
        entry = self.responder.matcher.kb.get(entry_id)
        channel = (body.get("channel") or {}).get("id")
        if entry is None or not channel:
            return
        try:
            await self.app.client.chat_postMessage(channel=channel, text=entry.answer_in(lang))
        except SlackApiError as exc:
            log.warning("slack post to channel failed (%s)", exc.response.get("error"))
            await respond(
                text="投稿できませんでした。ボットをこのチャンネルに招待してください。",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        await respond(
            text="投稿しました" if lang == "ja" else "Posted", response_type="ephemeral", replace_original=False
        )

    async def _mention(self, event: dict[str, Any], say: AsyncSay) -> None:
        if event.get("bot_id"):
            return
        question = _MENTION.sub("", event.get("text") or "").strip()
        reply = self.responder.answer(question, datetime.now(TOKYO)).reply
        self.metrics.replied([reply])
        await say(text=reply.text, thread_ts=event.get("thread_ts") or event.get("ts"))

    async def _message(self, event: dict[str, Any], say: AsyncSay, context: AsyncBoltContext) -> None:
        if event.get("bot_id") or event.get("subtype") not in (None, *STAFF_SUBTYPES):
            return  # other bots, edits, joins: never answered
        thread = event.get("thread_ts")
        if self._is_handoff_channel(event.get("channel")) and thread and thread != event.get("ts"):
            if context.bot_user_id and f"<@{context.bot_user_id}" in (event.get("text") or ""):
                return  # a question to the bot (answered by _mention), not a line for the customer
            await self._staff_line(event, thread)
            return
        # Otherwise only direct messages from people; channel chatter stays unanswered.
        if event.get("channel_type") != "im" or event.get("subtype"):
            return
        reply = self.responder.answer(event.get("text") or "", datetime.now(TOKYO)).reply
        self.metrics.replied([reply])
        await say(text=reply.text)

    async def _first_delivery(self, event_id: str) -> bool:
        try:
            # Slack wants its acknowledgement within 3 s, and this check comes before it.
            async with asyncio.timeout(LEDGER_SECONDS):
                first = await self.ledger.first_delivery("slack", event_id, datetime.now(TOKYO))
        except Exception as exc:  # better a rare second answer than none while the database is away
            log.error("slack event %s: ledger unavailable (%s), answering anyway", event_id, type(exc).__name__)
            return True
        if not first:
            # A retry (X-Slack-Retry-Num) of an event some process already took: acknowledge only.
            log.info("slack event %s already handled", event_id)
        return first

    # -- the staff desk (handoffs) ---------------------------------------------------------

    def _is_handoff_channel(self, channel: object) -> bool:
        return bool(self.handoff_channel) and channel == self.handoff_channel

    async def _is_member(self, user: str) -> bool:
        """Only members of the handoff channel may claim, resolve or reply (cached a minute)."""
        if not self.handoff_channel:
            return False
        fetched, members = self._members
        if time.monotonic() - fetched > MEMBERS_TTL:
            found: set[str] = set()
            cursor = None
            while True:
                response = await self.app.client.conversations_members(
                    channel=self.handoff_channel, limit=1000, cursor=cursor
                )
                found.update(response.get("members") or [])
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            members = frozenset(found)
            self._members = (time.monotonic(), members)
        return user in members

    async def _staff_line(self, event: dict[str, Any], thread: str) -> None:
        user = event.get("user") or ""
        if self.handoffs is None or not await self._is_member(user):
            log.info("slack thread line ignored: not a handoff member")
            return
        text = to_plain(event.get("text") or "")
        if text.strip():
            await self.handoffs.from_staff(
                event["channel"], thread, user, text, event.get("ts") or "", datetime.now(TOKYO)
            )
        if event.get("files"):
            # A Slack file is private to the workspace and LINE takes only public HTTPS links.
            try:
                await self.app.client.chat_postMessage(channel=event["channel"], thread_ts=thread, text=FILES_NOT_SENT)
            except Exception:
                log.exception("slack: could not say in a handoff thread that a file was not sent")

    async def _claim(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await self._staff_action(body, action, respond, claim=True)

    async def _resolve(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await self._staff_action(body, action, respond, claim=False)

    async def _staff_action(
        self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, claim: bool
    ) -> None:
        user = (body.get("user") or {}).get("id") or ""
        if self.handoffs is None or not await self._is_member(user):
            await respond(
                text="ハンドオフチャンネルのメンバーだけが操作できます。",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        try:
            handoff_id = int(action.get("value") or "")
        except ValueError:
            return
        now = datetime.now(TOKYO)
        done = await (self.handoffs.claim(handoff_id, user, now) if claim else self.handoffs.resolve(handoff_id, now))
        if done is None:
            await respond(
                text="このハンドオフはすでに対応済みか、ほかの担当者が担当しています。",
                response_type="ephemeral",
                replace_original=False,
            )

    async def _list_handoffs(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        if self.handoffs is not None and not await self._is_member(command.get("user_id") or ""):
            await respond(text="ハンドオフチャンネルのメンバーだけが一覧を見られます。", response_type="ephemeral")
            return
        if self.handoffs is None:
            await respond(
                text="ハンドオフは設定されていません(DATABASE_URL と SLACK_HANDOFF_CHANNEL)。",
                response_type="ephemeral",
            )
            return
        now = datetime.now(TOKYO)
        await respond(text=handoff_list(await self.handoffs.storage.open_handoffs(), now), response_type="ephemeral")

    async def open_card(self, card: Card) -> tuple[str, str] | None:
        """StaffDesk: post a handoff card in the handoff channel; its thread carries the conversation."""
        if not self.handoff_channel:
            return None
        text, blocks = handoff_card(card)
        self.metrics.handoffs.labels(card.handoff.state.value).inc()
        response = await self.app.client.chat_postMessage(channel=self.handoff_channel, text=text, blocks=blocks)
        return str(response["channel"]), str(response["ts"])

    async def post_in_thread(self, handoff: Handoff, author: str, text: str, broadcast: bool = False) -> None:
        """StaffDesk: one (masked) line of the customer in the handoff's thread; with `broadcast`,
        shown in the channel too."""
        if handoff.staff_channel and handoff.staff_thread:
            label = AUTHOR_LABELS.get(author, author)
            line = text if author == "bot" else escape(text)  # the bot's own notes may @mention staff
            await self.app.client.chat_postMessage(
                channel=handoff.staff_channel,
                thread_ts=handoff.staff_thread,
                text=f"*{label}*: {line}",
                reply_broadcast=broadcast,
            )

    async def mark(self, handoff: Handoff, status: str) -> None:
        """StaffDesk: say in the thread what happened to the handoff."""
        self.metrics.handoffs.labels(status).inc()
        notes = {
            "claimed": f"担当: <@{handoff.claimed_by}>",
            "resolved": "✅ 解決済み。お客様に評価をお願いしました。",
            "customer_ended": "お客様が会話を終了しました。",
            "expired": "⌛ 時間内に担当者がつかなかったため、お客様にお問い合わせフォームをご案内しました。",
            "live": "💬 お客様がチャットでの対応を希望しています。このスレッドでの返信はお客様に届きます。",
            "requeued": "📨 時間内に担当者がつかなかったため、時間外メッセージとしてキューに戻しました。",
        }
        # An old card coming alive again is news for the whole channel, not only its thread.
        await self.post_in_thread(handoff, "bot", notes.get(status, status), broadcast=status == "live")


def _payload(body: str, content_type: str) -> dict[str, Any] | None:
    """The request's payload if it has the shape Bolt expects (so malformed input is a 400,
    never an error deep inside a middleware), else None."""
    as_json = content_type == "application/json" or (
        content_type != "application/x-www-form-urlencoded" and body.lstrip().startswith("{")
    )
    if as_json:
        return _well_formed(_json_object(body))
    fields = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
    if "payload" in fields:
        return _well_formed(_json_object(fields["payload"]))
    if isinstance(fields.get("command"), str) or "ssl_check" in fields:
        return fields
    return None


_BOLT_LOG = logging.getLogger("slack_bolt.AsyncApp")


def _token_given_twice(record: logging.LogRecord) -> bool:
    """False for Bolt's warning that the client's token wins over SLACK_BOT_TOKEN: Bolt reads
    that variable itself, so every start would warn of what is meant (the client carries the
    same token, and the base URL the token alone cannot)."""
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _well_formed(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """An event or interaction payload whose parts have the types Bolt reads them as, else None."""
    if data is None or not isinstance(data.get("type"), str):
        return None
    nested_ok = all(
        isinstance(data.get(key, {}), dict) for key in ("event", "user", "team", "channel", "container", "view")
    )
    actions = data.get("actions", [])
    # Bolt matches each action by its action_id, and fails on one without it.
    actions_ok = isinstance(actions, list) and all(
        isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions
    )
    return data if nested_ok and actions_ok else None


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
