"""Prometheus metrics of one application (its own registry: no process-wide globals)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from handlers.intents import Intent
from handlers.messages import Reply

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WEBHOOK_PATHS = {"/line/webhook": "line", "/slack/events": "slack"}
FALLBACK = Intent.FALLBACK.value


class Metrics:
    """Counters and the webhook latency histogram, exposed at GET /metrics."""

    def __init__(self, token: str | None = None) -> None:
        # Without a token the endpoint is open: fine behind a private network, not on a public port.
        self._token = None if token is None else token.encode()
        self.registry = CollectorRegistry()
        self.events = Counter(
            "supportbot_events", "Webhook events received", ["platform", "type"], registry=self.registry
        )
        self.answers = Counter("supportbot_answers", "Replies sent, by intent", ["intent"], registry=self.registry)
        self.fallbacks = Counter("supportbot_fallbacks", "Messages the bot could not answer", registry=self.registry)
        self.lost = Counter(
            "supportbot_answers_lost",
            "Answers not delivered: refused, unreachable, or uncertain (a reply cut off twice, not pushed)",
            ["platform", "reason"],
            registry=self.registry,
        )
        self.handoffs = Counter(
            "supportbot_handoffs", "Handoff transitions, by the state reached", ["state"], registry=self.registry
        )
        self.latency = Histogram(
            "supportbot_webhook_seconds",
            "Time to acknowledge a webhook",
            ["platform"],
            # Up to 5 s: Slack gives up on an acknowledgement after 3 s, LINE after a few more.
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
            registry=self.registry,
        )
        # labels() validates and locks on every call; the children it returns are kept here.
        self.event_of = lru_cache(maxsize=256)(self.events.labels)
        self._answer_of = lru_cache(maxsize=64)(self.answers.labels)
        self.lost_of = lru_cache(maxsize=16)(self.lost.labels)
        self._latency_of = lru_cache(maxsize=8)(self.latency.labels)

    def replied(self, replies: list[Reply]) -> None:
        """Count what the bot said in answer to one message: each reply by its intent, and the
        message once as a fallback when the bot could not answer it."""
        for reply in replies:
            self._answer_of(reply.intent).inc()
        if any(reply.intent == FALLBACK for reply in replies):
            self.fallbacks.inc()

    @web.middleware
    async def timing(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Observe how long each webhook takes to acknowledge."""
        platform = WEBHOOK_PATHS.get(request.path)
        # A path with no route (a channel that is off, /slack/events over Socket Mode) is a 404,
        # not a webhook of that platform.
        if platform is None or request.match_info.http_exception is not None:
            return await handler(request)
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            self._latency_of(platform).observe(time.perf_counter() - started)

    async def endpoint(self, request: web.Request) -> web.Response:
        """GET /metrics in the Prometheus text format (to the bearer of the token, when there is one)."""
        if self._token is not None and not self._bears_token(request.headers.get("Authorization", "")):
            return web.json_response(
                {"error": "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _bears_token(self, authorization: str) -> bool:
        scheme, _, credentials = authorization.strip(" \t").partition(" ")
        # Bytes aiohttp could not decode arrive as surrogates: kept as they came, so no other
        # header compares equal (a lossy encoding would turn them into "?").
        try:
            presented = credentials.strip(" \t").encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return False
        return scheme.lower() == "bearer" and self._token is not None and hmac.compare_digest(presented, self._token)
