"""A fake Slack Web API and response_url endpoint: an aiohttp server that records the bot's calls."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
BOT_USER = "UBOT0001"


@dataclass
class Call:
    """One request the bot made."""

    path: str
    body: dict[str, Any]


@dataclass
class FakeSlack:
    """Records Web API calls (except auth.test) and posts to response URLs."""

    calls: list[Call] = field(default_factory=list)
    server: TestServer | None = None
    # Envelopes sent to a Socket Mode client once it connects.
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    members: list[str] = field(default_factory=lambda: ["U-STAFF-1", "U-STAFF-2"])
    # Seconds each recorded Web API call takes, to catch the bot with work in flight.
    delay: float = 0.0
    # How many of the next chat.postMessage calls Slack refuses with 429 (Retry-After: 0).
    throttled: int = 0
    _ts: int = 0

    @property
    def url(self) -> str:
        """Base URL of the server."""
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    @property
    def api_url(self) -> str:
        """What to give the bot as SLACK_API_BASE_URL."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        """A response_url to put in a command or action payload."""
        return f"{self.url}/response/{name}"

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Call]:
        """Wait until the bot has made at least `count` recorded calls."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.calls) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} calls, got {self.calls}")
            await asyncio.sleep(0.01)
        return self.calls

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "apps.connections.open":
            if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": self.url.replace("http", "ws", 1) + "/link"})
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        body = await _body(request)
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "team_id": "T1",
                    "user_id": BOT_USER,
                    "bot_id": "BBOT0001",
                    "user": "supportbot",
                    "team": "t",
                }
            )
        if method == "conversations.members":
            return web.json_response({"ok": True, "members": self.members, "response_metadata": {"next_cursor": ""}})
        await asyncio.sleep(self.delay)
        if method == "chat.postMessage" and self.throttled > 0:
            self.throttled -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"})
        self.calls.append(Call(f"/api/{method}", body))
        self._ts += 1
        return web.json_response({"ok": True, "channel": body.get("channel"), "ts": f"1700000000.{self._ts:06d}"})

    async def _response(self, request: web.Request) -> web.Response:
        self.calls.append(Call(request.path, await _body(request)))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        for envelope in self.envelopes:
            await socket.send_json(envelope)
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                self.calls.append(Call("/socket/ack", json.loads(message.data)))
        return socket

    def posts(self, channel: str | None = None, thread: str | None = None) -> list[Call]:
        """chat.postMessage calls, optionally in one channel or thread."""
        return [
            c
            for c in self.calls
            if c.path == "/api/chat.postMessage"
            and (channel is None or c.body.get("channel") == channel)
            and (thread is None or c.body.get("thread_ts") == thread)
        ]

    def app(self) -> web.Application:
        """The aiohttp application of the fake."""
        app = web.Application()
        app.router.add_get("/link", self._socket)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        return app


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.text()
    if request.content_type == "application/json":
        return json.loads(raw) if raw else {}
    return dict(parse_qsl(raw))
