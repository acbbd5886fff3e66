from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import Clock, SignatureVerifier

from bots.server import SLACK, STORAGE, create_app
from bots.settings import StartupError, load_settings
from handlers.responder import Responder
from tests import servers
from tests.conftest import JsonLines
from tests.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER, FakeSlack

SECRET = "test-slack-signing-secret"

# Slack's documented example request (api.slack.com/authentication/verifying-requests-from-slack).
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = "1531420618"
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def signed_headers(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.server = TestServer(fake.app())
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def bot(fake_slack: FakeSlack, responder: Responder) -> AsyncIterator[TestClient]:
    cfg = load_settings(
        _env_file=None, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_BASE_URL=fake_slack.api_url
    )
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        yield client


async def send_form(bot: TestClient, fields: dict[str, str], **headers: str) -> int:
    body = urlencode(fields)
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body), **headers}
    return (await bot.post("/slack/events", data=body, headers=all_headers)).status


async def send_event(bot: TestClient, event: dict[str, Any], event_id: str = "Ev1", **headers: str) -> int:
    body = json.dumps(
        {
            "token": "t",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
            "event": event,
        }
    )
    all_headers = {"Content-Type": "application/json", **signed_headers(body), **headers}
    return (await bot.post("/slack/events", data=body, headers=all_headers)).status


def command(fake: FakeSlack, name: str, text: str) -> dict[str, str]:
    return {
        "token": "t",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "user_name": "staff",
        "command": name,
        "text": text,
        "response_url": fake.response_url(),
        "trigger_id": "1.2.3",
    }


def action(fake: FakeSlack, action_id: str, value: str) -> dict[str, str]:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "api_app_id": "A1",
        "channel": {"id": "C1"},
        "container": {"type": "message"},
        "trigger_id": "1.2.3",
        "response_url": fake.response_url(),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1"}],
    }
    return {"payload": json.dumps(payload)}


def test_documented_signature_example_verifies() -> None:
    class Then(Clock):
        def now(self) -> float:
            return float(DOC_TIMESTAMP) + 10

    assert SignatureVerifier(DOC_SECRET, clock=Then()).is_valid(DOC_BODY, DOC_TIMESTAMP, DOC_SIGNATURE)


async def test_stale_request_is_refused(fake_slack: FakeSlack, responder: Responder) -> None:
    cfg = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=DOC_SECRET,
        SLACK_API_BASE_URL=fake_slack.api_url,
    )
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        headers = {
            "X-Slack-Request-Timestamp": DOC_TIMESTAMP,
            "X-Slack-Signature": DOC_SIGNATURE,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = await client.post("/slack/events", data=DOC_BODY, headers=headers)
        assert response.status == 401  # correctly signed, but from 2018
        old = signed_headers("text=x", timestamp=int(time.time()) - 6 * 60)
        assert (await client.post("/slack/events", data="text=x", headers=old)).status == 401
    assert fake_slack.calls == []


@pytest.mark.parametrize("signature", ["v0=deadbeef", "", "garbage"])
async def test_wrong_signature_gets_401_and_no_call(bot: TestClient, fake_slack: FakeSlack, signature: str) -> None:
    body = urlencode(command(fake_slack, "/faq", "入金"))
    headers = {
        **signed_headers(body),
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert (await bot.post("/slack/events", data=body, headers=headers)).status == 401
    assert fake_slack.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},  # a timestamp that is no number
        {"X-Slack-Request-Timestamp": "1e3", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"},  # too large for a float
        {"X-Slack-Signature": "v0=00"},  # none at all
        {"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": "v0=é"},  # a signature that is not ASCII
    ],
)
async def test_unreadable_signature_headers_get_401_not_500(
    bot: TestClient, fake_slack: FakeSlack, headers: dict[str, str]
) -> None:
    if headers.get("X-Slack-Request-Timestamp") == "now":
        headers = {**headers, "X-Slack-Request-Timestamp": str(int(time.time()))}
    body = '{"type": "url_verification", "challenge": "x"}'
    response = await bot.post("/slack/events", data=body, headers={**headers, "Content-Type": "application/json"})
    assert response.status == 401
    assert fake_slack.calls == []


@pytest.mark.parametrize(
    "body",
    [
        {"type": "block_actions", "actions": "x", "user": {"id": "U1"}},
        {"type": "block_actions", "actions": [{}], "user": "U1"},
        {"type": "view_submission", "view": "x"},
        {"type": "event_callback", "event": 5},
    ],
)
async def test_signed_json_payloads_of_the_wrong_shape_get_400(
    bot: TestClient, fake_slack: FakeSlack, body: dict[str, Any]
) -> None:
    text = json.dumps(body)
    headers = {"Content-Type": "application/json", **signed_headers(text)}
    assert (await bot.post("/slack/events", data=text, headers=headers)).status == 400
    assert fake_slack.calls == []


async def test_url_verification_challenge(bot: TestClient) -> None:
    body = json.dumps(
        {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    response = await bot.post(
        "/slack/events", data=body, headers={"Content-Type": "application/json", **signed_headers(body)}
    )
    assert response.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in await response.text()


async def test_faq_command_gives_an_ephemeral_answer_card(bot: TestClient, fake_slack: FakeSlack) -> None:
    started = time.monotonic()
    assert await send_form(bot, command(fake_slack, "/faq", "入金が反映されない")) == 200
    assert time.monotonic() - started < 3
    [call] = await fake_slack.wait_for(1)
    assert call.path == "/response/1"
    assert call.body["response_type"] == "ephemeral"
    blocks = json.dumps(call.body["blocks"], ensure_ascii=False)
    assert "deposit-not-reflected" in blocks and "confidence" in blocks and "振込明細" in blocks
    buttons = [e for b in call.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == "faq_post"
    assert any(b["action_id"].startswith("faq_show") for b in buttons[1:])


async def test_faq_command_in_english(bot: TestClient, fake_slack: FakeSlack) -> None:
    await send_form(bot, command(fake_slack, "/faq", "how do I reset my password"))
    [call] = await fake_slack.wait_for(1)
    assert "forgot-password" in json.dumps(call.body["blocks"]) and "verification code" in call.body["text"]


async def test_faq_alone_lists_entries_by_category(bot: TestClient, fake_slack: FakeSlack) -> None:
    await send_form(bot, command(fake_slack, "/faq", ""))
    [call] = await fake_slack.wait_for(1)
    listing = json.dumps(call.body["blocks"], ensure_ascii=False)
    for entry_id in ("account-opening", "api-usage", "support-tips"):
        assert entry_id in listing
    assert "*funds*" in listing and "*contact*" in listing


async def test_runner_up_button_shows_its_answer(bot: TestClient, fake_slack: FakeSlack) -> None:
    await send_form(bot, action(fake_slack, "faq_show_0", "api-usage@ja"))
    [call] = await fake_slack.wait_for(1)
    assert call.body["replace_original"] is True
    assert "APIドキュメント" in call.body["text"]


async def test_post_button_posts_visibly_into_the_channel(bot: TestClient, fake_slack: FakeSlack) -> None:
    await send_form(bot, action(fake_slack, "faq_post", "two-factor-auth@en"))
    calls = await fake_slack.wait_for(2)
    [post] = [c for c in calls if c.path == "/api/chat.postMessage"]
    assert post.body["channel"] == "C1"
    assert "two-factor authentication" in post.body["text"]


async def test_support_hours_command(bot: TestClient, fake_slack: FakeSlack) -> None:
    await send_form(bot, command(fake_slack, "/support-hours", ""))
    [call] = await fake_slack.wait_for(1)
    assert "電話サポートは現在" in call.body["text"] and "チャットサポートは現在" in call.body["text"]


async def test_mention_is_answered_in_a_thread(bot: TestClient, fake_slack: FakeSlack) -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> 入金が反映されない",
        "ts": "111.222",
        "channel": "C1",
    }
    assert await send_event(bot, event) == 200
    [call] = await fake_slack.wait_for(1)
    assert call.path == "/api/chat.postMessage"
    assert call.body["channel"] == "C1" and call.body["thread_ts"] == "111.222"
    assert "振込明細" in call.body["text"]


async def test_direct_message_is_answered_in_the_dm(bot: TestClient, fake_slack: FakeSlack) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U1",
        "text": "2FAを解除したい",
        "ts": "1.1",
        "channel": "D1",
    }
    await send_event(bot, event)
    [call] = await fake_slack.wait_for(1)
    assert call.body["channel"] == "D1" and "thread_ts" not in call.body
    assert "二段階認証" in call.body["text"]


async def test_an_answered_event_is_logged_with_its_id_and_counted(
    bot: TestClient, fake_slack: FakeSlack, json_logs: JsonLines
) -> None:
    event = {"type": "message", "channel_type": "im", "user": "U1", "text": "zzzz", "ts": "1.1", "channel": "D1"}
    await send_event(bot, event, event_id="Ev-logged")
    await fake_slack.wait_for(1)
    await bot.app[SLACK].drain()
    lines = json_logs()
    assert any(line.get("event_id") == "Ev-logged" and "message done" in line["message"] for line in lines)
    assert not any("zzzz" in line["message"] for line in lines)
    metrics = await (await bot.get("/metrics")).text()
    assert 'supportbot_answers_total{intent="fallback"} 1.0' in metrics and "supportbot_fallbacks_total 1.0" in metrics


@pytest.mark.parametrize(
    "event",
    [
        {"type": "message", "channel_type": "im", "user": BOT_USER, "text": "入金", "ts": "1.1", "channel": "D1"},
        {"type": "message", "channel_type": "im", "bot_id": "B9", "text": "入金", "ts": "1.1", "channel": "D1"},
        {"type": "message", "channel_type": "channel", "user": "U1", "text": "入金", "ts": "1.1", "channel": "C1"},
        {"type": "message", "channel_type": "im", "subtype": "message_changed", "ts": "1.1", "channel": "D1"},
        {"type": "app_mention", "bot_id": "B9", "text": f"<@{BOT_USER}> 入金", "ts": "1.1", "channel": "C1"},
    ],
)
async def test_own_and_other_bots_messages_are_not_answered(
    bot: TestClient, fake_slack: FakeSlack, event: dict[str, Any]
) -> None:
    assert await send_event(bot, event) == 200
    await send_event(
        bot, {"type": "app_mention", "user": "U1", "text": "hi", "ts": "9.9", "channel": "C9"}, event_id="Ev-marker"
    )
    calls = await fake_slack.wait_for(1)
    assert [c.body["channel"] for c in calls] == ["C9"]


async def test_retried_event_is_acknowledged_not_answered_again(bot: TestClient, fake_slack: FakeSlack) -> None:
    event = {"type": "app_mention", "user": "U1", "text": "パスワードを忘れた", "ts": "5.5", "channel": "C1"}
    assert await send_event(bot, event, event_id="EvSame") == 200
    await fake_slack.wait_for(1)
    assert (
        await send_event(
            bot, event, event_id="EvSame", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )
        == 200
    )
    await send_event(
        bot, {"type": "app_mention", "user": "U1", "text": "hi", "ts": "9.9", "channel": "C9"}, event_id="Ev-marker"
    )
    calls = await fake_slack.wait_for(2)
    assert [c.body["channel"] for c in calls] == ["C1", "C9"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.text(max_size=300),
        st.just("payload=%7Bnot json"),
        st.just('{"type": "event_callback", "event": 5}'),
        st.just("payload=" + json.dumps({"type": "block_actions", "actions": "x"})),
        st.just("command=%2Ffaq"),
        st.just("payload=" + json.dumps({"type": "view_submission", "view": {}})),  # a view without its type
        st.just("payload=" + json.dumps({"type": "view_closed", "view": {"id": "V1"}})),
    ),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
)
async def test_malformed_payloads_never_get_500(bot: TestClient, body: str, content_type: str) -> None:
    headers = {"Content-Type": content_type, **signed_headers(body)}
    response = await bot.post("/slack/events", data=body.encode(), headers=headers)
    assert response.status < 500


def mention_envelope(envelope_id: str, event_id: str, ts: str, channel: str) -> dict[str, Any]:
    """A Socket Mode envelope carrying a mention that asks about a deposit."""
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> 入金が反映されない",
        "ts": ts,
        "channel": channel,
    }
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "payload": {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        },
    }


async def test_socket_mode_runs_the_same_listeners(fake_slack: FakeSlack, responder: Responder) -> None:
    fake_slack.envelopes.append(mention_envelope("env-1", "EvSock", "7.7", "C7"))
    # Slack retries an envelope it thinks was lost: same event_id, new envelope.
    fake_slack.envelopes.append({**fake_slack.envelopes[0], "envelope_id": "env-2", "retry_attempt": 1})
    cfg = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=fake_slack.api_url,
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    async with TestClient(TestServer(create_app(cfg, responder))):
        calls = await fake_slack.wait_for(3)
        await asyncio.sleep(0.5)  # time for a second, wrong answer to show up
    acks = [c.body for c in calls if c.path == "/socket/ack"]
    assert {"envelope_id": "env-1"} in acks and {"envelope_id": "env-2"} in acks
    [post] = [c for c in calls if c.path == "/api/chat.postMessage"]
    assert post.body["channel"] == "C7" and post.body["thread_ts"] == "7.7" and "振込明細" in post.body["text"]


async def test_socket_mode_needs_no_signing_secret_and_then_takes_nothing_over_http(
    fake_slack: FakeSlack, responder: Responder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)  # the settings come from here alone
    caplog.set_level(logging.INFO, logger="supportbot")
    fake_slack.envelopes.append(mention_envelope("env-3", "EvSockNoSecret", "8.8", "C8"))
    cfg = load_settings(
        _env_file=None, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_BASE_URL=fake_slack.api_url, SLACK_APP_TOKEN=APP_TOKEN
    )
    async with TestClient(TestServer(create_app(cfg, responder))) as client:
        calls = await fake_slack.wait_for(2)
        # No secret to check a signature with: the HTTP route is not there, even for a signed body.
        refused = await client.post("/slack/events", data=b"{}", headers=signed_headers("{}"))
        assert refused.status == 404
        metrics = await (await client.get("/metrics")).text()
    [post] = [c for c in calls if c.path == "/api/chat.postMessage"]
    assert post.body["channel"] == "C8" and post.body["thread_ts"] == "8.8" and "振込明細" in post.body["text"]
    # The event over the socket is counted; the 404 is no Slack webhook.
    assert 'supportbot_events_total{platform="slack",type="app_mention"} 1.0' in metrics
    assert 'supportbot_webhook_seconds_count{platform="slack"}' not in metrics
    said = [r.getMessage() for r in caplog.records]
    assert any("Socket Mode only; POST /slack/events off" in line for line in said)
    assert not any("Slack channel off" in line for line in said)


async def test_an_app_token_slack_refuses_stops_start_up_with_its_name(
    fake_slack: FakeSlack, responder: Responder, tmp_path: Path
) -> None:
    cfg = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=fake_slack.api_url,
        SLACK_APP_TOKEN="xapp-wrong",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    app = create_app(cfg, responder)
    try:
        with pytest.raises(StartupError, match=r"^SLACK_APP_TOKEN: Slack refused the app token") as caught:
            async with TestServer(app):  # no TestClient: its session would outlive the failed start
                pass
    finally:
        await app[STORAGE].close()  # opened before Slack refused; `serve` exits here instead
    assert "xapp-wrong" not in str(caught.value)


@pytest.mark.parametrize("answers", [False, True])
async def test_an_unreachable_slack_does_not_stop_start_up(responder: Responder, tmp_path: Path, answers: bool) -> None:
    # Nothing listens on the port, or something accepts the connection and never answers.
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(60)

    port = servers.free_port()
    listener = await asyncio.start_server(silent, "127.0.0.1", port) if answers else None
    cfg = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=f"http://127.0.0.1:{port}/api/",
        SLACK_APP_TOKEN=APP_TOKEN,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    started = time.monotonic()
    try:
        async with TestClient(TestServer(create_app(cfg, responder))) as client:
            response = await asyncio.wait_for(client.get("/healthz"), timeout=5)
            assert response.status == 200  # serving while Socket Mode keeps trying in the background
            assert time.monotonic() - started < 10
    finally:
        if listener is not None:
            listener.close()


async def test_sigterm_finishes_the_slack_work_in_flight(fake_slack: FakeSlack, tmp_path: Path) -> None:
    fake_slack.delay = 0.5  # the answer is still being posted when the signal comes
    port = servers.free_port()
    env = servers.environment(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'term.db'}",
    )
    process = await servers.serve(env, port)
    try:
        event = {
            "type": "app_mention",
            "user": "U1",
            "text": f"<@{BOT_USER}> 入金が反映されない",
            "ts": "1.2",
            "channel": "C1",
        }
        body = json.dumps(
            {"type": "event_callback", "event_id": "EvTerm", "event_time": int(time.time()), "event": event}
        )
        headers = {"Content-Type": "application/json", **signed_headers(body)}
        url = f"http://127.0.0.1:{port}/slack/events"
        async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
            assert response.status == 200
        await asyncio.sleep(0.2)  # acknowledged; the listener is waiting on the slow Web API
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    finally:
        await servers.stop(process)
    assert [call.path for call in fake_slack.calls] == ["/api/chat.postMessage"]


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "view_submission", "view": {}},  # a view without its type
        {"type": "view_submission"},
        {"type": "block_actions", "actions": [{}]},
        {"type": "shortcut"},
        {"type": "message_action"},
    ],
)
async def test_signed_interactions_missing_their_parts_get_no_500(bot: TestClient, payload: dict[str, Any]) -> None:
    assert await send_form(bot, {"payload": json.dumps(payload)}) < 500


def test_no_warning_about_the_token_at_start_up(
    fake_slack: FakeSlack, responder: Responder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As a Procfile platform runs it: the token in the environment, where Bolt reads it too.
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    caplog.set_level(logging.WARNING)
    create_app(load_settings(_env_file=None, SLACK_API_BASE_URL=fake_slack.api_url), responder)
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt")]


async def test_bolt_never_logs_a_body_with_its_signature(
    bot: TestClient, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A request our check passes and a second check would refuse (a timestamp on the 5-minute
    # edge between the two): the signature is checked once, so nothing logs the body.
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(bot.app[SLACK]._verifier, "is_valid", lambda *_: True)
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U1",
        "text": "パスワードは Hunter2024",
        "ts": "1",
        "channel": "D1",
    }
    body = json.dumps({"type": "event_callback", "event_id": "Ev-edge", "event": event, "team_id": "T1"})
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"}
    assert (await bot.post("/slack/events", data=body, headers=headers)).status == 200
    await fake_slack.wait_for(1)
    assert not any("Hunter2024" in r.getMessage() or "v0=00" in r.getMessage() for r in caplog.records)
