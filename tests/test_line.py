from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import hmac
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from linebot.v3.messaging import ReplyMessageRequest
from linebot.v3.webhook import SignatureValidator

import bots.line as line_module
from bots.line import retry_key, to_incoming, to_messages
from bots.server import LINE, STORAGE, create_app
from bots.settings import Settings, load_settings
from handlers.messages import Kind, QuickReply, Reply
from handlers.responder import Responder
from tests import servers
from tests.conftest import JsonLines
from tests.fake_line import ACCESS_TOKEN, FakeLine

SECRET = "test-line-channel-secret"
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


def event(kind: str, event_id: str, source: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": now_ms(),
        "source": source or {"type": "user", "userId": "U1234567890abcdef"},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in ("message", "follow", "postback", "join", "memberJoined", "beacon"):
        base["replyToken"] = f"reply-{event_id}"
    base.update(fields)
    return base


def text_event(text: str, event_id: str, **fields: Any) -> dict[str, Any]:
    return event(
        "message", event_id, message={"type": "text", "id": f"m{event_id}", "text": text, "quoteToken": "q"}, **fields
    )


@contextlib.asynccontextmanager
async def pushes_failing(
    fake_line: FakeLine,
    responder: Responder,
    monkeypatch: pytest.MonkeyPatch,
    delays: tuple[float, ...],
    push_errors: int,
    fail_reply: bool = True,
    **settings: object,
) -> AsyncIterator[TestClient]:
    """A bot whose first `push_errors` pushes LINE refuses with a 500, retried after `delays`;
    with `fail_reply`, its replies are refused too, so every answer is pushed."""
    monkeypatch.setattr(line_module, "PUSH_RETRY_DELAYS", delays)
    fake_line.fail_reply = fail_reply
    fake_line.push_errors = push_errors
    async with TestClient(TestServer(create_app(line_settings(fake_line, **settings), responder))) as client:
        yield client


def user(n: int) -> dict[str, str]:
    """The source of the n-th of several customers."""
    return {"type": "user", "userId": f"U{n:032d}"}


def body_of(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False).encode()


@pytest.fixture
async def fake_line() -> AsyncIterator[FakeLine]:
    fake = FakeLine()
    fake.server = TestServer(fake.app())
    await fake.server.start_server()
    yield fake
    await fake.server.close()


def line_settings(fake_line: FakeLine, **more: object) -> Settings:
    """Settings of a bot whose LINE channel talks to the fake API."""
    return load_settings(
        _env_file=None,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
        LINE_API_BASE_URL=fake_line.url,
        **more,
    )


@pytest.fixture
async def bot(fake_line: FakeLine, responder: Responder) -> AsyncIterator[TestClient]:
    cfg = line_settings(fake_line, LINE_REPLY_TIMEOUT=0.3)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        yield client


async def post(bot: TestClient, body: bytes, signature: str | None = "sign", **headers: str) -> int:
    if signature == "sign":
        signature = sign(body)
    if signature is not None:
        headers["X-Line-Signature"] = signature
    response = await bot.post("/line/webhook", data=body, headers={"Content-Type": "application/json", **headers})
    return response.status


def test_signature_matches_the_sdk_published_vector() -> None:
    validator = SignatureValidator("channel_secret")
    assert validator.validate("bodybodybodybody", "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=")
    assert sign(b"bodybodybodybody", "channel_secret") == "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="


async def test_a_question_is_answered_by_reply_with_quick_replies(bot: TestClient, fake_line: FakeLine) -> None:
    assert await post(bot, body_of(text_event("入金が反映されない", "e1"))) == 200
    [call] = await fake_line.wait_for(1)
    assert call.path == REPLY
    assert call.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert call.body["replyToken"] == "reply-e1"
    [message] = call.body["messages"]
    assert "振込明細" in message["text"]
    labels = [item["action"]["label"] for item in message["quickReply"]["items"]]
    assert "受付時間" in labels and "オペレーターと話す" in labels
    assert all(item["action"]["type"] == "message" for item in message["quickReply"]["items"])


async def test_english_gets_english(bot: TestClient, fake_line: FakeLine) -> None:
    await post(bot, body_of(text_event("I forgot my password", "e2")))
    [call] = await fake_line.wait_for(1)
    assert "verification code" in call.body["messages"][0]["text"]


async def test_ambiguous_question_offers_did_you_mean(bot: TestClient, fake_line: FakeLine) -> None:
    await post(bot, body_of(text_event("お金", "e3")))
    [call] = await fake_line.wait_for(1)
    message = call.body["messages"][0]
    assert message["text"].startswith("もしかして")
    assert "入金が反映されない" in [i["action"]["label"] for i in message["quickReply"]["items"]]


@pytest.mark.parametrize(
    ("signature", "body"),
    [
        (None, b'{"events": []}'),  # no signature
        ("AAAA", b'{"events": []}'),  # wrong signature
        (sign(b"other body"), b'{"events": []}'),  # signature of something else
        ("sign", b'{"events": [truncated'),  # signed, not JSON
        ("sign", b'{"no_events": 1}'),  # signed JSON, not a webhook
        ("sign", b"[1, 2, 3]"),
        ("sign", b"\xff\xfe\x00 not utf-8"),
    ],
)
async def test_bad_requests_get_400_and_no_calls(
    bot: TestClient, fake_line: FakeLine, signature: str | None, body: bytes
) -> None:
    assert await post(bot, body, signature=signature) == 400
    assert fake_line.calls == []


async def test_a_signature_header_of_raw_bytes_gets_400(bot: TestClient, fake_line: FakeLine) -> None:
    # aiohttp's client will not send such a header, so the request is written by hand.
    reader, writer = await asyncio.open_connection(bot.server.host, bot.server.port)
    writer.write(
        b"POST /line/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n"
        b"X-Line-Signature: \xff\xfe\r\nConnection: close\r\n\r\n" + b'{"events": []}'
    )
    await writer.drain()
    status = await reader.readline()
    writer.close()
    assert status.split()[1] == b"400"
    assert fake_line.calls == []


async def test_oversized_body_gets_413(bot: TestClient, fake_line: FakeLine) -> None:
    body = body_of(text_event("あ" * 400_000, "big"))
    assert len(body) > 1024 * 1024
    assert await post(bot, body) == 413
    assert fake_line.calls == []


async def test_follow_postback_and_media(bot: TestClient, fake_line: FakeLine) -> None:
    body = body_of(
        event("follow", "f1", follow={"isUnblocked": False}),
        event("postback", "p1", postback={"data": "faq:api-usage"}),
        event(
            "message",
            "s1",
            message={
                "type": "sticker",
                "id": "s",
                "packageId": "1",
                "stickerId": "1",
                "stickerResourceType": "STATIC",
                "quoteToken": "q",
            },
        ),
        event(
            "message",
            "i1",
            message={"type": "image", "id": "i", "contentProvider": {"type": "line"}, "quoteToken": "q"},
        ),
        event("message", "l1", message={"type": "location", "id": "l", "latitude": 35.0, "longitude": 139.0}),
    )
    assert await post(bot, body) == 200
    calls = await fake_line.wait_for(5)
    by_token = {c.body["replyToken"]: c.body["messages"][0]["text"] for c in calls}
    assert "サポートボット" in by_token["reply-f1"]
    assert "APIドキュメント" in by_token["reply-p1"]
    for token in ("reply-s1", "reply-i1", "reply-l1"):
        assert "文字で" in by_token[token]


async def test_every_event_type_replayed_gets_one_reply_per_answerable_event(
    bot: TestClient, fake_line: FakeLine
) -> None:
    silent = [
        event("unfollow", "x1"),
        event("join", "x2", source={"type": "group", "groupId": "G1"}),
        event("leave", "x3", source={"type": "group", "groupId": "G1"}),
        event("unsend", "x4", unsend={"messageId": "m"}),
        event("beacon", "x5", beacon={"hwid": "d41d8cd98f", "type": "enter"}),
        event(
            "memberJoined",
            "x6",
            source={"type": "group", "groupId": "G1"},
            joined={"members": [{"type": "user", "userId": "U2"}]},
        ),
        event(
            "memberLeft",
            "x7",
            source={"type": "group", "groupId": "G1"},
            left={"members": [{"type": "user", "userId": "U2"}]},
        ),
        event("videoPlayComplete", "x8", videoPlayComplete={"trackingId": "t"}),
        event("accountLink", "x9", link={"result": "ok", "nonce": "n"}),
        event("somethingNew", "x10", surprise=True),
        text_event("入金が反映されない", "x11", mode="standby"),
        text_event("入金が反映されない", "x12", source={"type": "group", "groupId": "G1", "userId": "U3"}),
        {"type": "message"},  # broken event among good ones
    ]
    answered = [text_event("パスワードを忘れた", "a1"), event("follow", "a2", follow={"isUnblocked": True})]
    assert await post(bot, body_of(*silent, *answered)) == 200
    calls = await fake_line.wait_for(2)
    await bot.app[LINE].drain()
    assert sorted(c.body["replyToken"] for c in fake_line.calls) == ["reply-a1", "reply-a2"]
    assert len(calls) == 2


async def test_group_answers_only_when_mentioned(bot: TestClient, fake_line: FakeLine) -> None:
    group = {"type": "group", "groupId": "G1", "userId": "U3"}
    mention = {"mentionees": [{"index": 0, "length": 4, "type": "user", "userId": "Ubot", "isSelf": True}]}
    mentioned = event(
        "message",
        "g1",
        source=group,
        message={"type": "text", "id": "m", "text": "@bot 入金が反映されない", "quoteToken": "q", "mention": mention},
    )
    other = {"mentionees": [{"index": 0, "length": 4, "type": "user", "userId": "U9", "isSelf": False}]}
    not_me = event(
        "message",
        "g2",
        source=group,
        message={"type": "text", "id": "m2", "text": "@bob 入金が反映されない", "quoteToken": "q", "mention": other},
    )
    await post(bot, body_of(not_me, mentioned))
    [call] = await fake_line.wait_for(1)
    assert call.body["replyToken"] == "reply-g1"
    assert "振込明細" in call.body["messages"][0]["text"]


async def test_redelivered_event_is_answered_once(bot: TestClient, fake_line: FakeLine) -> None:
    first = text_event("パスワードを忘れた", "same-id")
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert await post(bot, body_of(first)) == 200
    assert await post(bot, body_of(again)) == 200
    await fake_line.wait_for(1)
    await bot.app[LINE].drain()
    assert len(fake_line.messages()) == 1


async def test_failed_reply_falls_back_to_push_with_a_retry_key(bot: TestClient, fake_line: FakeLine) -> None:
    fake_line.fail_reply = True
    await post(bot, body_of(text_event("パスワードを忘れた", "r1")))
    [call] = await fake_line.wait_for(1)
    assert call.path == PUSH
    assert call.body["to"] == "U1234567890abcdef"
    assert call.headers["X-Line-Retry-Key"] == retry_key("r1")
    assert "認証コード" in call.body["messages"][0]["text"]


async def test_slow_reply_is_not_doubled_by_a_push(bot: TestClient, fake_line: FakeLine) -> None:
    # The reply call outlives its timeout but LINE delivers it: a push as well would say it twice.
    fake_line.reply_delay = 1.0
    await post(bot, body_of(text_event("パスワードを忘れた", "slow")))
    await bot.app[LINE].drain()
    await asyncio.sleep(1.2)
    assert [c.path for c in fake_line.messages()] == [REPLY]


async def test_a_full_backlog_holds_the_acknowledgement_until_there_is_room(
    fake_line: FakeLine, responder: Responder
) -> None:
    # Two events may wait for an answer; the third webhook is acknowledged once one is answered.
    fake_line.reply_delay = 0.3
    cfg = line_settings(fake_line, LINE_MAX_PENDING=2)
    users = [{"type": "user", "userId": f"U{n}"} for n in range(4)]
    bodies = [body_of(text_event("パスワードを忘れた", f"full-{n}", source=users[n])) for n in range(4)]
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        assert await asyncio.gather(post(client, bodies[0]), post(client, bodies[1])) == [200, 200]
        started = time.monotonic()
        assert await post(client, bodies[2]) == 200
        # It got in only once an answer made room, and each answer takes the API's 0.3 s.
        assert time.monotonic() - started >= 0.15 and len(fake_line.sent(REPLY)) >= 2
        await client.app[LINE].drain()
        assert await post(client, bodies[3]) == 200  # the room is all there again
        await client.app[LINE].drain()
    assert len(fake_line.sent(REPLY)) == 4


async def test_a_webhook_with_more_events_than_the_backlog_holds_still_gets_in(
    fake_line: FakeLine, responder: Responder
) -> None:
    cfg = line_settings(fake_line, LINE_MAX_PENDING=1)
    users = [{"type": "user", "userId": f"U{n}"} for n in range(3)]
    body = body_of(*(text_event("パスワードを忘れた", f"many-{n}", source=users[n]) for n in range(3)))
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        assert await asyncio.wait_for(post(client, body), timeout=5) == 200
        await client.app[LINE].drain()
    assert len(fake_line.sent(REPLY)) == 3


async def test_unreachable_reply_api_falls_back_to_push(fake_line: FakeLine, responder: Responder) -> None:
    # The reply is refused outright (here: LINE's 400 for a spent token), so pushing is safe.
    fake_line.fail_reply = True
    cfg = line_settings(fake_line)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        await post(client, body_of(text_event("パスワードを忘れた", "refused")))
        await client.app[LINE].drain()
    assert [c.path for c in fake_line.messages()] == [PUSH]


async def test_a_push_that_fails_for_a_while_is_tried_again(fake_line: FakeLine, responder: Responder) -> None:
    fake_line.fail_reply = True
    fake_line.push_errors = 1  # LINE answers 500 once, then takes it
    cfg = line_settings(fake_line)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        await post(client, body_of(text_event("パスワードを忘れた", "flaky")))
        await client.app[LINE].drain()
    [push] = fake_line.messages()
    assert push.path == PUSH and "パスワード" in push.body["messages"][0]["text"]


async def test_a_retried_answer_does_not_hold_up_the_customers_next_one(
    fake_line: FakeLine, responder: Responder, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pushes_failing(
        fake_line, responder, monkeypatch, (0.5, 0.5), push_errors=1, fail_reply=False
    ) as client:  # the first push fails once
        # The first message's reply token is too old, so its answer is pushed (and fails once);
        # the next one's is fresh and must be used before it expires, not after the retries.
        stale = text_event("パスワードを忘れた", "slow-1", timestamp=now_ms() - 120_000)
        await post(client, body_of(stale, text_event("入金が反映されない", "slow-2")))
        await fake_line.wait_for(1, timeout=0.4)
        [first] = fake_line.messages()
        assert first.path == REPLY and "振込明細" in first.body["messages"][0]["text"]
        await client.app[LINE].drain()
        text = await (await client.get("/metrics")).text()
    _, retried = fake_line.messages()
    assert retried.path == PUSH and "パスワード" in retried.body["messages"][0]["text"]
    assert "supportbot_answers_lost_total{" not in text  # nothing was lost


async def test_a_line_outage_keeps_the_backlog_bounded(
    fake_line: FakeLine, responder: Responder, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pushes_failing(
        fake_line, responder, monkeypatch, (0.2,) * 3, push_errors=10**6, LINE_MAX_PENDING=2
    ) as client:  # LINE's push is down for the whole test
        line = client.app[LINE]
        posts = [
            asyncio.ensure_future(post(client, body_of(text_event("zzzz", f"down-{n}", source=user(n)))))
            for n in range(6)
        ]
        await asyncio.sleep(0.3)
        assert line._backlog.pending <= 2  # the room is not given back while an answer is retried
        assert sum(p.done() for p in posts) < 6  # so later webhooks wait for it
        await asyncio.gather(*posts)
        await line.drain()
        text = await (await client.get("/metrics")).text()
    assert 'supportbot_answers_lost_total{platform="line",reason="unreachable"} 6.0' in text


async def test_a_redelivery_during_the_retries_is_not_answered_twice(
    fake_line: FakeLine, responder: Responder, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pushes_failing(
        fake_line, responder, monkeypatch, (0.3,), push_errors=1
    ) as client:  # the first push fails, the retry goes through
        await post(client, body_of(text_event("パスワードを忘れた", "R1")))
        await asyncio.sleep(0.1)
        again = text_event("パスワードを忘れた", "R1", deliveryContext={"isRedelivery": True})
        await post(client, body_of(again))  # while the retry waits: already being answered
        await client.app[LINE].drain()
    [push] = fake_line.messages()
    assert "パスワード" in push.body["messages"][0]["text"]


async def test_a_retry_cancelled_before_it_ran_gives_its_room_back_and_counts_as_lost(bot: TestClient) -> None:
    line = bot.app[LINE]
    await line._backlog.admit(1)
    line._in_flight.add("never-ran")
    task = asyncio.create_task(asyncio.sleep(1))
    task.add_done_callback(functools.partial(line._retried, "never-ran"))
    task.cancel()  # before its first step: nothing inside it runs
    await asyncio.gather(task, return_exceptions=True)
    assert line._backlog.pending == 0 and "never-ran" not in line._in_flight
    text = await (await bot.get("/metrics")).text()
    assert 'supportbot_answers_lost_total{platform="line",reason="shutdown"} 1.0' in text


async def test_a_retry_cut_off_by_shutdown_is_counted_as_lost(
    fake_line: FakeLine, responder: Responder, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pushes_failing(fake_line, responder, monkeypatch, (30.0,), push_errors=1) as client:
        await post(client, body_of(text_event("パスワードを忘れた", "cut-off")))
        await asyncio.sleep(0.3)
        await client.app[LINE].drain(timeout=0.2)
        text = await (await client.get("/metrics")).text()
    assert 'supportbot_answers_lost_total{platform="line",reason="shutdown"} 1.0' in text


async def test_an_answer_lost_to_an_outage_is_counted_and_its_redelivery_answered(
    fake_line: FakeLine, responder: Responder, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pushes_failing(
        fake_line, responder, monkeypatch, (0.01, 0.01), push_errors=3
    ) as client:  # every attempt fails
        await post(client, body_of(text_event("パスワードを忘れた", "lost")))
        await client.app[LINE].drain()
        text = await (await client.get("/metrics")).text()
        assert 'supportbot_answers_lost_total{platform="line",reason="unreachable"} 1.0' in text
        assert fake_line.messages() == []
        # LINE delivers the event again (its ack was lost): now it is answered.
        redelivered = text_event("パスワードを忘れた", "lost", deliveryContext={"isRedelivery": True})
        await post(client, body_of(redelivered))
        await client.app[LINE].drain()
    [push] = fake_line.messages()
    assert "パスワード" in push.body["messages"][0]["text"]


async def test_a_ledger_that_never_answers_delays_the_answer_only_briefly(
    fake_line: FakeLine, responder: Responder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(line_module, "LEDGER_SECONDS", 0.2)
    cfg = line_settings(fake_line)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:

        async def hung(*_: object) -> bool:  # the database connected, and never answers
            await asyncio.sleep(3600)
            return True

        monkeypatch.setattr(client.app[STORAGE], "first_delivery", hung)
        await post(client, body_of(text_event("パスワードを忘れた", "no-ledger")))
        [call] = await fake_line.wait_for(1, timeout=2.0)
    assert call.path == REPLY  # answered in time for the reply token, without the check


async def test_json_log_lines_carry_the_event_id_and_no_customer_text(
    bot: TestClient, fake_line: FakeLine, json_logs: JsonLines
) -> None:
    await post(bot, body_of(text_event("パスワードを忘れた", "json-1"), text_event("zzzz", "json-2")))
    await bot.app[LINE].drain()
    lines = json_logs()
    answered = {line["event_id"] for line in lines if "answered by reply" in line["message"]}
    assert answered == {"json-1", "json-2"}
    assert not any("パスワード" in line["message"] or "zzzz" in line["message"] for line in lines)


async def test_shutdown_waits_for_unanswered_events_only_so_long_and_names_them(
    fake_line: FakeLine, responder: Responder, caplog: pytest.LogCaptureFixture
) -> None:
    fake_line.reply_delay = 30.0  # LINE hangs
    cfg = line_settings(fake_line, LINE_REPLY_TIMEOUT=20)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        await post(client, body_of(text_event("パスワードを忘れた", "hung-1"), text_event("zzzz", "hung-2")))
        started = asyncio.get_running_loop().time()
        await client.app[LINE].drain(timeout=0.3)
        assert asyncio.get_running_loop().time() - started < 2.0
    assert "2 events not answered within 0.3 s of shutdown: hung-1, hung-2" in caplog.text


async def test_a_reply_cut_off_after_it_was_sent_is_not_pushed_again(fake_line: FakeLine, responder: Responder) -> None:
    fake_line.drop_after_reply = True  # delivered, then the connection dropped: it may have arrived
    cfg = line_settings(fake_line)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        await post(client, body_of(text_event("パスワードを忘れた", "cut")))
        await client.app[LINE].drain()
    assert [c.path for c in fake_line.messages()] == [REPLY]


async def test_a_reply_lost_before_it_was_read_is_sent_again(fake_line: FakeLine, responder: Responder) -> None:
    fake_line.drop_before_reply = 1  # the connection closed under the first attempt
    cfg = line_settings(fake_line)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        await post(client, body_of(text_event("パスワードを忘れた", "unread")))
        await client.app[LINE].drain()
    assert [c.path for c in fake_line.messages()] == [REPLY]


async def test_late_answer_skips_the_expired_reply_token(bot: TestClient, fake_line: FakeLine) -> None:
    old = text_event("パスワードを忘れた", "old", timestamp=now_ms() - 120_000)
    await post(bot, body_of(old))
    [call] = await fake_line.wait_for(1)
    assert call.path == PUSH
    assert fake_line.sent(REPLY) == []


def test_rendering_respects_line_limits() -> None:
    long_label = QuickReply("とても長いラベルのクイックリプライボタンです", "x" * 400)
    replies = [Reply("a" * 6000, tuple([long_label] * 20)), Reply("🙏" * 3000)] + [Reply(f"r{n}") for n in range(7)]
    messages = to_messages(replies)
    # The SDK's own request model accepts the plain dicts the bot posts.
    assert ReplyMessageRequest.from_dict({"replyToken": "t", "messages": messages}).to_dict()["messages"] == messages
    assert len(messages) == 5
    assert len(messages[0]["text"]) == 5000
    assert len(messages[1]["text"].encode("utf-16-le")) // 2 <= 5000  # LINE counts UTF-16 units
    last = messages[-1]
    items = last["quickReply"]["items"]
    assert len(items) == 13
    assert all(len(i["action"]["label"]) <= 20 and len(i["action"]["text"]) <= 300 for i in items)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode)), signed=st.booleans())
async def test_fuzzed_bodies_never_get_500(bot: TestClient, body: bytes, signed: bool) -> None:
    status = await post(bot, body, signature="sign" if signed else "bogus")
    assert status in (200, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
async def test_content_type_does_not_matter_the_signature_does(
    bot: TestClient, fake_line: FakeLine, content_type: str
) -> None:
    body = body_of(text_event("パスワードを忘れた", f"ct-{content_type}"))
    assert await post(bot, body, **{"Content-Type": content_type}) == 200
    await fake_line.wait_for(1)


async def test_logs_hold_no_secret_token_signature_or_customer_text(
    bot: TestClient, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    body = body_of(text_event("私の秘密の質問です 入金", "log1"))
    await post(bot, body)
    await post(bot, body, signature="Zm9vYmFy")
    fake_line.fail_reply = True
    await post(bot, body_of(text_event("私の秘密の質問です 出金", "log2")))
    await fake_line.wait_for(2)
    logged = caplog.text
    for secret in ("秘密の質問", SECRET, ACCESS_TOKEN, sign(body), "Zm9vYmFy"):
        assert secret not in logged
    assert "log1" in logged and "signature does not match" in logged


async def test_two_processes_pushing_the_same_event_deliver_it_once(fake_line: FakeLine, responder: Responder) -> None:
    # Reply tokens refused, so both copies push; the retry key makes LINE take only one.
    fake_line.fail_reply = True
    cfg = line_settings(fake_line)
    body = body_of(text_event("パスワードを忘れた", "dup"))
    async with (
        TestClient(TestServer(create_app(cfg, responder))) as one,
        TestClient(TestServer(create_app(cfg, responder))) as two,
    ):
        assert await post(one, body) == 200
        assert await post(two, body) == 200
        await one.app[LINE].drain()
        await two.app[LINE].drain()
    assert len(fake_line.sent(PUSH)) == 1


async def test_supportbot_serve_answers_a_signed_webhook(
    fake_line: FakeLine, unused_tcp_port: int, tmp_path: Path
) -> None:
    env = servers.environment(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
        LINE_API_BASE_URL=fake_line.url,
        # Its own database: the default file in the checkout would remember this event id
        # from an earlier run and (rightly) not answer it again.
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
    )
    process = await servers.serve(env, unused_tcp_port)
    try:
        body = body_of(text_event("今電話つながる?", "serve-1"))
        headers = {"X-Line-Signature": sign(body), "Content-Type": "application/json"}
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{unused_tcp_port}/line/webhook"
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == 200
        [call] = await fake_line.wait_for(1)
        assert "電話サポートは現在" in call.body["messages"][0]["text"]
    finally:
        await servers.stop(process)


async def _two_processes_on_postgres(
    fake_line: FakeLine, **settings: str
) -> list[tuple[asyncio.subprocess.Process, int]]:
    """Two `supportbot serve` processes, with their ports, on one freshly emptied PostgreSQL database."""
    url = os.environ["TEST_DATABASE_URL"]
    await servers.empty_postgres(url)
    env = servers.environment(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
        LINE_API_BASE_URL=fake_line.url,
        DATABASE_URL=url,
        **settings,
    )
    ports = [servers.free_port(), servers.free_port()]
    return [(await servers.serve(env, port), port) for port in ports]


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (set by .ci/run)")
async def test_same_event_to_two_processes_at_once_is_answered_once(fake_line: FakeLine) -> None:
    processes = await _two_processes_on_postgres(fake_line)
    try:
        body = body_of(text_event("パスワードを忘れた", "twice-at-once"))
        headers = {"X-Line-Signature": sign(body), "Content-Type": "application/json"}
        async with aiohttp.ClientSession() as session:

            async def deliver(port: int) -> int:
                async with session.post(f"http://127.0.0.1:{port}/line/webhook", data=body, headers=headers) as r:
                    return r.status

            assert await asyncio.gather(*(deliver(port) for _, port in processes)) == [200, 200]
        await fake_line.wait_for(1)
        await asyncio.sleep(1.0)  # time for a second, wrong answer to show up
        assert len(fake_line.messages()) == 1
    finally:
        for process, _ in processes:
            await servers.stop(process)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (set by .ci/run)")
async def test_a_flood_spread_over_two_processes_gets_one_notice(fake_line: FakeLine) -> None:
    processes = await _two_processes_on_postgres(fake_line, RATE_LIMIT_MESSAGES="2", RATE_LIMIT_WINDOW="60")
    try:
        # The shared limiter counts in fixed minutes: a flood that straddles one may get the limit
        # twice (as documented), so the flood starts well inside a minute.
        if time.time() % 60 > 50:
            await asyncio.sleep(60.5 - time.time() % 60)
        async with aiohttp.ClientSession() as session:
            for n in range(6):  # one customer, every other message to the other process
                body = body_of(text_event("パスワードを忘れた", f"flood-{n}"))
                headers = {"X-Line-Signature": sign(body), "Content-Type": "application/json"}
                url = f"http://127.0.0.1:{processes[n % 2][1]}/line/webhook"
                async with session.post(url, data=body, headers=headers) as response:
                    assert response.status == 200
                await asyncio.sleep(0.2)  # in order, as a person types
        await fake_line.wait_for(3)
        await asyncio.sleep(1.0)  # time for a wrong fourth message to show up
        texts = [call.body["messages"][0]["text"] for call in fake_line.messages()]
        assert len(texts) == 3 and "少し時間をおいて" in texts[2]
    finally:
        for process, _ in processes:
            await servers.stop(process)


async def test_metrics_count_events_answers_and_latency(bot: TestClient, fake_line: FakeLine) -> None:
    await post(bot, body_of(text_event("パスワードを忘れた", "m1"), text_event("zzzz", "m2"), event("follow", "m3")))
    await bot.app[LINE].drain()
    response = await bot.get("/metrics")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    assert 'supportbot_events_total{platform="line",type="message"} 2.0' in text
    assert 'supportbot_events_total{platform="line",type="follow"} 1.0' in text
    assert 'supportbot_answers_total{intent="faq"} 1.0' in text
    assert "supportbot_fallbacks_total 1.0" in text
    assert 'supportbot_webhook_seconds_count{platform="line"} 1.0' in text
    assert "パスワード" not in text  # no customer text in metrics


async def test_metrics_count_a_rate_limit_notice_as_a_notice_not_a_fallback(
    fake_line: FakeLine, responder: Responder
) -> None:
    cfg = line_settings(fake_line, RATE_LIMIT_MESSAGES=1)
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        for n in range(3):  # one answer, one notice, then silence
            assert await post(client, body_of(text_event("パスワードを忘れた", f"limit-{n}"))) == 200
        await client.app[LINE].drain()
        await fake_line.wait_for(2)
        text = await (await client.get("/metrics")).text()
    assert 'supportbot_answers_total{intent="faq"} 1.0' in text
    assert 'supportbot_answers_total{intent="notice"} 1.0' in text
    assert "supportbot_fallbacks_total 0.0" in text


async def test_sigterm_finishes_the_events_in_flight(fake_line: FakeLine, tmp_path: Path) -> None:
    fake_line.reply_delay = 0.5  # answers are still going out when the signal comes
    port = servers.free_port()
    env = servers.environment(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
        LINE_API_BASE_URL=fake_line.url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'term.db'}",
    )
    process = await servers.serve(env, port)
    body = body_of(
        *(text_event("パスワードを忘れた", f"term{n}", source={"type": "user", "userId": f"U{n}"}) for n in range(5))
    )
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/line/webhook"
        async with session.post(url, data=body, headers={"X-Line-Signature": sign(body)}) as response:
            assert response.status == 200
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    assert len(fake_line.messages()) == 5  # every accepted event was answered before exit


def _event(**fields: object) -> dict[str, object]:
    event: dict[str, object] = {
        "type": "message",
        "mode": "active",
        "timestamp": 1_795_000_000_000,
        "source": {"type": "user", "userId": "U1"},
        "message": {"type": "text", "id": "1", "text": "入金"},
    }
    event.update(fields)
    return event


GROUP = {"type": "group", "groupId": "G1", "userId": "U1"}
MENTION_SELF = {"mentionees": [{"index": 0, "length": 4, "type": "user", "isSelf": True}]}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (_event(), ("U1", "入金", Kind.TEXT)),
        (_event(mode="standby"), None),
        (_event(source=None), None),
        (_event(source={"type": "user"}), None),
        (_event(source="U1"), None),
        (_event(message={"type": "text", "text": 42}), None),
        (_event(message="hello"), None),
        (_event(message={"type": "sticker"}), ("U1", "", Kind.MEDIA)),
        (_event(source=GROUP), None),  # a group message that does not mention the bot
        (_event(source=GROUP, message={"type": "sticker"}), None),
        (
            _event(source=GROUP, message={"type": "text", "text": "@bot 入金", "mention": MENTION_SELF}),
            ("G1", "入金", Kind.TEXT),
        ),
        (_event(type="follow", message=None), ("U1", "", Kind.FOLLOW)),
        (_event(type="postback", postback={"data": "hours@ja"}), ("U1", "hours@ja", Kind.ACTION)),
        (_event(type="postback", postback={"data": ["x"]}), None),
        (_event(type="unsend"), None),
        (_event(timestamp="soon"), ("U1", "入金", Kind.TEXT)),
        (_event(timestamp=1e30), ("U1", "入金", Kind.TEXT)),  # no possible time: answered all the same
        (_event(timestamp=-1e20), ("U1", "入金", Kind.TEXT)),
    ],
)
def test_events_become_incoming_messages_or_nothing(
    event: dict[str, object], expected: tuple[str, str, Kind] | None
) -> None:
    incoming = to_incoming(event)
    if expected is None:
        assert incoming is None
    else:
        assert incoming is not None
        assert (incoming.key.channel_id, incoming.text, incoming.kind) == expected
