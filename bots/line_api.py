"""The three Messaging API calls the bot makes (reply, push, profile), as plain JSON on one session.

The SDK's request models cost about 1.3 ms an answer to build and serialise (measured with
bench/bench_webhook.py and py-spy), more than matching the question; the bot's messages are
small fixed shapes, so they are built as dicts and posted directly.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

Message = dict[str, Any]
# Calls in flight at once. Callers beyond it wait here, before their timeout starts, so a burst
# of answers queues instead of timing out inside the connection pool.
MAX_IN_FLIGHT = 64
JSON_BODY = {"Content-Type": "application/json"}


class LineApiError(Exception):
    """LINE answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message[:200]}")
        self.status = status


class LineApi:
    """A Messaging API client bound to one channel access token and API host."""

    def __init__(self, base_url: str, access_token: str) -> None:
        self._base = base_url.rstrip("/")
        self._token = access_token
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def start(self) -> None:
        """Open the HTTP session (inside the running event loop)."""
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self._token}"},
            connector=aiohttp.TCPConnector(limit=MAX_IN_FLIGHT),
            cookie_jar=aiohttp.DummyCookieJar(),  # the API sets none; a real jar is work on every call
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def reply(self, reply_token: str, messages: list[Message], timeout: float) -> None:
        """POST /v2/bot/message/reply."""
        await self._call("POST", "/v2/bot/message/reply", {"replyToken": reply_token, "messages": messages}, timeout)

    async def push(self, to: str, messages: list[Message], retry_key: str, timeout: float) -> None:
        """POST /v2/bot/message/push; the retry key makes a repeated push a no-op (LINE answers 409)."""
        body = {"to": to, "messages": messages}
        await self._call("POST", "/v2/bot/message/push", body, timeout, {"X-Line-Retry-Key": retry_key})

    async def profile(self, user_id: str, timeout: float) -> dict[str, Any]:
        """GET /v2/bot/profile/{userId}."""
        return await self._call("GET", f"/v2/bot/profile/{quote(user_id, safe='')}", None, timeout)

    async def _call(
        self, method: str, path: str, body: Any, timeout: float, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        if self._session is None:
            raise RuntimeError("LineApi.start() has not run")
        data = None if body is None else orjson.dumps(body)
        headers = JSON_BODY if headers is None else {**JSON_BODY, **headers}
        async with (
            self._slots,
            self._session.request(
                method, self._base + path, data=data, headers=headers, timeout=_timeout(timeout)
            ) as response,
        ):
            payload = await response.read()
            if response.status >= 300:
                raise LineApiError(response.status, payload.decode("utf-8", "replace"))
            try:
                parsed = orjson.loads(payload) if payload else {}
            except ValueError:
                parsed = {}
            return parsed if isinstance(parsed, dict) else {}


@lru_cache(maxsize=16)
def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)
