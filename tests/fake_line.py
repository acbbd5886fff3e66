"""A fake LINE Messaging API: an aiohttp server that records the bot's calls over real HTTP."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

ACCESS_TOKEN = "test-line-access-token"


@dataclass
class Call:
    """One request the bot made."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeLine:
    """Records reply and push calls; can be told to refuse replies or to answer slowly."""

    calls: list[Call] = field(default_factory=list)
    fail_reply: bool = False
    reply_delay: float = 0.0
    # Replies delivered, then the connection dropped before LINE answers.
    drop_after_reply: bool = False
    # How many of the next replies are lost unread (a kept-alive connection closed under them).
    drop_before_reply: int = 0
    used_tokens: set[str] = field(default_factory=set)
    # How many of the next pushes fail with a 500 before one goes through.
    push_errors: int = 0
    retry_keys: set[str] = field(default_factory=set)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        """Base URL to give the bot as LINE_API_BASE_URL."""
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def sent(self, path: str) -> list[Call]:
        """The calls made to one endpoint."""
        return [call for call in self.calls if call.path == path]

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Call]:
        """Wait until the bot has made at least `count` message calls."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages()) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} message calls, got {len(self.messages())}: {self.calls}")
            await asyncio.sleep(0.01)
        return self.messages()

    def messages(self) -> list[Call]:
        """Reply and push calls that LINE accepted."""
        return [c for c in self.calls if c.path in ("/v2/bot/message/reply", "/v2/bot/message/push")]

    async def _reply(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        body = await request.json()
        if self.drop_before_reply > 0 and request.transport is not None:
            self.drop_before_reply -= 1
            request.transport.close()
            return web.Response()
        if self.fail_reply or body.get("replyToken") in self.used_tokens:  # a token works once
            return web.json_response({"message": "Invalid reply token"}, status=400)
        self.used_tokens.add(body.get("replyToken"))
        # Delivered at once; only the answer is slow (what a timed-out reply looks like to LINE).
        self.calls.append(Call(request.path, dict(request.headers), body))
        if self.drop_after_reply and request.transport is not None:
            request.transport.close()
            return web.Response()
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        return web.json_response({"sentMessages": [{"id": "1", "quoteToken": "q"}]})

    async def _push(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        body = await request.json()
        key = request.headers.get("X-Line-Retry-Key")
        if self.push_errors > 0:
            self.push_errors -= 1
            return web.json_response({"message": "Internal server error"}, status=500)
        if key and key in self.retry_keys:
            # LINE answers 409 to a retry key it has already accepted.
            return web.json_response({"message": "The retry key is already accepted"}, status=409)
        if key:
            self.retry_keys.add(key)
        self.calls.append(Call(request.path, dict(request.headers), body))
        return web.json_response({"sentMessages": [{"id": "2", "quoteToken": "q"}]})

    async def _profile(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        user = request.match_info["user_id"]
        return web.json_response({"userId": user, "displayName": f"Customer {user[-4:]}", "language": "ja"})

    @staticmethod
    def _check_auth(request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            raise web.HTTPUnauthorized(text=json.dumps({"message": "Authentication failed"}))

    def app(self) -> web.Application:
        """The aiohttp application of the fake API."""
        app = web.Application()
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_get("/v2/bot/profile/{user_id}", self._profile)
        return app
