"""The aiohttp application that serves every webhook on one port (the composition root)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from aiohttp import web

import faq
from bots import logs
from bots.core import build_responder
from bots.line import LineChannel
from bots.metrics import Metrics
from bots.settings import Settings, StartupError, database_failure, one_line
from bots.slack import SlackChannel
from handlers.conversation import Conversation
from handlers.handoff import CustomerLine, HandoffService
from handlers.hours import TOKYO
from handlers.ratelimit import RateLimit, RateLimiter, SharedRateLimiter
from handlers.responder import Responder
from handlers.storage import Storage

log = logging.getLogger("supportbot")
SWEEP_SECONDS = 30.0
STOPPING_THREADS_SECONDS = 0.2
# /healthz answers 503 rather than hang with a database that does not answer.
HEALTH_SECONDS = 3.0
# After SIGTERM: how long requests already in progress may take (a webhook is acknowledged in
# milliseconds; the events behind it are drained by their channels afterwards).
REQUESTS_SHUTDOWN_SECONDS = 5.0
# LINE and Slack give up redelivering long before this.
EVENT_MEMORY = timedelta(days=1)
# A customer's lines to staff in a handoff are limited too, to this many times the bot's limit.
RELAY_LIMIT_FACTOR = 5
# The exit status when a setting does not work, as for a malformed one (the CLI's usage error).
STARTUP_FAILED = 2
# The collector's youngest generation is examined after this many net allocations (CPython's
# default is 700). Answering one webhook allocates thousands of short-lived objects, so the default
# ran a collection every few events: 4.8% of the server's time under bench_wrk.py --distinct, 0.9%
# at this threshold (CPython 3.11). What it lets wait is short-lived objects, most freed by their
# reference counts long before; the server's RSS under that load did not change (275-278 MB).
YOUNG_COLLECTION_THRESHOLD = 50_000

CONVERSATION = web.AppKey("conversation", Conversation)
LINE = web.AppKey("line", LineChannel)
SLACK = web.AppKey("slack", SlackChannel)
HANDOFFS = web.AppKey("handoffs", HandoffService)
STORAGE = web.AppKey("storage", Storage)
METRICS = web.AppKey("metrics", Metrics)


def create_app(settings: Settings, responder: Responder | None = None) -> web.Application:
    """Build the application; channels without credentials are switched off with one log line."""
    metrics = Metrics(settings.metrics_token)
    if settings.metrics_token is None:
        log.info("metrics: GET /metrics open to anyone who can reach the port (set METRICS_TOKEN to require one)")
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[metrics.timing])
    app[METRICS] = metrics
    responder = responder or build_responder(settings)
    storage = Storage(settings.database_url)
    app[STORAGE] = storage
    window = timedelta(seconds=settings.rate_limit_window)

    # Several processes share PostgreSQL and so must share the count; SQLite serves one process,
    # whose memory is the cheaper place for it (a database round trip less per message).
    def limit(messages: int) -> RateLimit:
        return SharedRateLimiter(storage, messages, window) if storage.shared else RateLimiter(messages, window)

    relay = limit(settings.rate_limit_messages * RELAY_LIMIT_FACTOR)
    conversation = Conversation(responder, limiter=limit(settings.rate_limit_messages), relay_limiter=relay)
    app[CONVERSATION] = conversation
    version = responder.matcher.kb.version

    async def healthz(_: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(HEALTH_SECONDS):
                await storage.ping()
        except Exception as exc:
            log.error("health check: database unreachable (%s)", type(exc).__name__)
            return web.json_response(
                {"status": "fail", "database": "unreachable", "knowledge_version": version}, status=503
            )
        return web.json_response({"status": "ok", "database": "ok", "knowledge_version": version})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics.endpoint)
    customers: dict[str, CustomerLine] = {}
    line = slack = None
    if not settings.missing_for_line():
        assert settings.line_channel_secret and settings.line_channel_access_token
        line = LineChannel(
            conversation,
            settings.line_channel_secret,
            settings.line_channel_access_token,
            settings.line_api_base_url,
            reply_timeout=settings.line_reply_timeout,
            max_pending=settings.line_max_pending,
            ledger=storage,
            metrics=metrics,
        )
        app[LINE] = line
        customers["line"] = line
        app.router.add_post("/line/webhook", line.webhook)
    if not settings.missing_for_slack():
        assert settings.slack_bot_token
        slack = SlackChannel(
            conversation,
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_api_base_url,
            app_token=settings.slack_app_token,
            handoff_channel=settings.slack_handoff_channel,
            ledger=storage,
            metrics=metrics,
        )
        app[SLACK] = slack
        if settings.slack_signing_secret:
            app.router.add_post("/slack/events", slack.events)
        else:
            log.info("slack: Socket Mode only; POST /slack/events off (SLACK_SIGNING_SECRET not set)")
    for platform, missing in (("LINE", settings.missing_for_line()), ("Slack", settings.missing_for_slack())):
        if missing:
            socket_mode = " (or SLACK_APP_TOKEN, for Socket Mode)" if "SLACK_SIGNING_SECRET" in missing else ""
            log.warning("%s channel off: %s not set%s", platform, ", ".join(missing), socket_mode)

    handoffs = None
    if slack is not None and settings.slack_handoff_channel:
        handoffs = HandoffService(
            storage, responder.hours, slack, customers, timedelta(minutes=settings.handoff_claim_timeout)
        )
        conversation.handoffs = slack.handoffs = app[HANDOFFS] = handoffs
    else:
        log.warning("handoff off: needs the Slack channel and SLACK_HANDOFF_CHANNEL")
    # Contexts start in order and stop in reverse: storage first up and last down, so the
    # channels can finish the events in flight before the database goes away.
    app.cleanup_ctx.append(_storage_context(storage, handoffs))
    for channel in (line, slack):
        if channel is not None:
            app.cleanup_ctx.append(_channel_context(channel))
    return app


def _channel_context(channel: LineChannel | SlackChannel) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        await channel.start(app)
        yield
        await channel.stop(app)

    return context


def _storage_context(
    storage: Storage, handoffs: HandoffService | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(_: web.Application) -> AsyncIterator[None]:
        try:
            await storage.init()
        except Exception as exc:
            with contextlib.suppress(Exception):
                await storage.close()
            # aiosqlite stops the thread of a connection that failed to open without waiting for it;
            # a thread still running when the loop closes prints "Event loop is closed" tracebacks.
            await asyncio.sleep(STOPPING_THREADS_SECONDS)
            raise database_failure(exc) from exc
        sweeper = asyncio.create_task(_sweep(storage, handoffs))
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await storage.close()

    return context


async def _sweep(storage: Storage, handoffs: HandoffService | None) -> None:
    """Expire unclaimed handoffs (each once, across processes); forget old event ids and message counts."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        now = datetime.now(TOKYO)
        try:
            if handoffs is not None:
                await handoffs.expire(now)
            await storage.forget_events(now - EVENT_MEMORY)
            await storage.forget_windows(int((now - EVENT_MEMORY).timestamp()))
        except Exception:
            log.exception("sweep failed")


def serve(settings: Settings, host: str, port: int | None) -> int:
    """Run the server until interrupted."""
    logs.configure(json_lines=settings.log_format == "json")
    app = create_app(settings)
    # The knowledge base, its index and the libraries live as long as the process: moved out of
    # the collector's reach, they no longer make each full collection (a latency spike) long.
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
    listen = port or settings.port
    log.info(
        "starting on %s:%d: knowledge %s, database %s, matcher %s",
        host,
        listen,
        app[CONVERSATION].responder.matcher.kb.version,
        app[STORAGE].engine.dialect.name,
        "compiled" if faq.native() else "pure Python (not compiled at install: see setup.py)",
    )
    if not app[STORAGE].shared:
        log.info(
            "SQLite serves one process: run several only on PostgreSQL (DATABASE_URL), or they answer redeliveries twice"
        )
    try:
        web.run_app(
            app,
            host=host,
            port=listen,
            print=None,
            access_log=None,
            loop=_event_loop(),
            shutdown_timeout=REQUESTS_SHUTDOWN_SECONDS,
        )
    except StartupError as exc:
        failure = str(exc)
    except OSError as exc:  # the address is taken, or the host is no address of this machine
        failure = f"cannot listen on {host}:{listen} ({one_line(exc)})"
    else:
        return 0
    log.error("start-up failed: %s", failure)
    print(f"supportbot: {failure}", file=sys.stderr)
    return STARTUP_FAILED


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (Linux, macOS): about 15% more events a second on the webhook benchmark."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
