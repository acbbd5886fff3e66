from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

import bots.server as server_module
from bots import logs
from bots.server import STORAGE, create_app
from bots.settings import load_settings
from tests.conftest import JsonLines


async def test_healthz_reports_the_knowledge_version(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="supportbot")
    app = create_app(load_settings(_env_file=None))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["knowledge_version"]
    # Without credentials both channels are off, each with one line naming what is missing.
    off = [r.getMessage() for r in caplog.records if "channel off" in r.getMessage()]
    assert off == [
        "LINE channel off: LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN not set",
        "Slack channel off: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET not set (or SLACK_APP_TOKEN, for Socket Mode)",
    ]


METRICS_TOKEN = "scrape-7f3a9c2e"


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        (f"Bearer {METRICS_TOKEN}x", 401),
        (METRICS_TOKEN, 401),  # the scheme is part of it
        ("Bearer スクレイプ", 401),  # not ASCII: refused, not a 500
        (f"Bearer {METRICS_TOKEN}", 200),
        (f"bearer  {METRICS_TOKEN} ", 200),  # the scheme in any case, spaces around
        (f"Bearer {METRICS_TOKEN}\u3000", 401),  # an ideographic space is no HTTP whitespace
    ],
)
async def test_metrics_answer_only_the_bearer_of_the_token_when_one_is_set(
    authorization: str | None, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="supportbot")
    app = create_app(load_settings(_env_file=None, METRICS_TOKEN=METRICS_TOKEN))
    headers = {} if authorization is None else {"Authorization": authorization}
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics", headers=headers)
        body = await response.text()
    assert response.status == status
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "supportbot_" not in body and METRICS_TOKEN not in body
    else:
        assert "supportbot_events_total" in body or "# HELP supportbot_events" in body
    assert not any("/metrics open" in record.getMessage() for record in caplog.records)
    assert not any(METRICS_TOKEN in record.getMessage() for record in caplog.records)


async def test_a_metrics_header_of_undecodable_bytes_is_refused_not_read_as_question_marks() -> None:
    # aiohttp keeps bytes that are not UTF-8 as surrogates; read lossily they would become "?",
    # and this header would equal "Bearer scr?pe".
    app = create_app(load_settings(_env_file=None, METRICS_TOKEN="scr?pe-token-1"))
    async with TestClient(TestServer(app)) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(
            b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer scr\xffpe-token-1\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
    assert status_line.split()[1] == b"401"


async def test_metrics_without_a_token_are_open_and_say_so_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="supportbot")
    async with TestClient(TestServer(create_app(load_settings(_env_file=None)))) as client:
        assert (await client.get("/metrics")).status == 200
    assert sum("/metrics open" in record.getMessage() for record in caplog.records) == 1


async def test_unknown_route_is_404_not_500() -> None:
    async with TestClient(TestServer(create_app(load_settings(_env_file=None)))) as client:
        assert (await client.post("/nowhere", data=b"\xff")).status == 404


async def test_healthz_fails_when_the_database_is_gone(tmp_path: Path) -> None:
    db = tmp_path / "gone.db"
    app = create_app(load_settings(_env_file=None, DATABASE_URL=f"sqlite:///{db}"))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/healthz")).status == 200
        await app[STORAGE].engine.dispose()
        db.unlink()
        db.mkdir()  # nothing can open it now
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["database"] == "unreachable"


async def test_healthz_answers_503_in_time_when_the_database_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_module, "HEALTH_SECONDS", 0.2)
    app = create_app(load_settings(_env_file=None))
    async with TestClient(TestServer(app)) as client:

        async def hung() -> None:  # a network fault: connected, and no answer ever comes
            await asyncio.sleep(3600)

        monkeypatch.setattr(app[STORAGE], "ping", hung)
        started = asyncio.get_running_loop().time()
        response = await client.get("/healthz")
        assert asyncio.get_running_loop().time() - started < 2.0
        assert response.status == 503 and (await response.json())["database"] == "unreachable"


async def test_the_sweep_forgets_event_ids_older_than_a_day(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(server_module, "SWEEP_SECONDS", 0.05)
    app = create_app(load_settings(_env_file=None, DATABASE_URL=f"sqlite:///{tmp_path / 'sweep.db'}"))
    async with TestClient(TestServer(app)):
        storage = app[STORAGE]
        now = datetime.now(UTC)
        assert await storage.first_delivery("line", "old", now - timedelta(days=2))
        assert await storage.first_delivery("line", "recent", now - timedelta(hours=1))
        await asyncio.sleep(0.5)  # several sweeps
        assert await storage.first_delivery("line", "old", now)  # forgotten: counts as new
        assert not await storage.first_delivery("line", "recent", now)  # still remembered


async def test_a_malformed_request_is_logged_without_its_lines(json_logs: JsonLines) -> None:
    async with TestClient(TestServer(create_app(load_settings(_env_file=None)))) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(b"POST /line/webhook HTTP/1.1\r\nHost: x\r\nX-Line-Signature: SIGSENTINEL\x01abc\r\n\r\n")
        await writer.drain()
        answer = await reader.read(100)
        writer.close()
    assert b" 400 " in answer.split(b"\r\n")[0]
    messages = [line["message"] + line.get("error", "") for line in json_logs()]
    assert not any("SIGSENTINEL" in message for message in messages)
    assert "malformed HTTP request refused (BadHttpMessage, HTTP 400)" in messages


def test_json_log_lines() -> None:
    from bots.logs import JsonFormatter

    record = logging.LogRecord(
        "supportbot.line", logging.INFO, __file__, 1, "line event %s answered by reply", ("e1",), None
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "line event e1 answered by reply"
    assert entry["level"] == "info" and entry["logger"] == "supportbot.line" and entry["ts"].endswith("+00:00")


@pytest.mark.parametrize(
    "message",
    [
        "connecting to wss://wss-primary.slack.com/link/?ticket=abc123-SECRET&app_id=A1",
        "auth.test failed for xoxb-1234-5678-SECRETtoken",
        "app token xapp-1-A1-SECRET refused",
        "Authorization: Bearer SECRETlinetoken, retrying",
        "could not connect to postgresql://bot:SECRETpw@db.example.com/prod",
        "redis://:SECRETpw@cache:6379/0 unreachable",
        "session xoxc-1234567-SECRET expired",
        "authorization: bearer SECRETlinetoken123",
        "Authorization: Bearer:\tSECRETlinetoken123",
        "token xoxb-abcSECRET1234 refused",
        "postgresql://bot:pa@SECRETss@db/prod refused",
    ],
)
def test_credentials_a_library_logs_are_hidden(message: str) -> None:
    record = logging.LogRecord("slack_bolt.AsyncApp", logging.ERROR, __file__, 1, "%s", (message,), None)
    logs.without_credentials(record)
    assert "SECRET" not in logs.JsonFormatter().format(record)
    try:
        raise RuntimeError(message)
    except RuntimeError:
        import sys

        failed = logging.LogRecord("aiohttp.client", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    logs.without_credentials(failed)
    assert "SECRET" not in logs.JsonFormatter().format(failed)
    assert "SECRET" not in logging.Formatter(logs.PLAIN).format(failed)


@pytest.mark.parametrize(
    "message",
    ["xoxo-gossip", "scheme Bearer but got Basic", "https://api.line.me:443/v2/bot?x=y", "mailto:ops@example.com"],
)
def test_ordinary_log_lines_are_not_redacted(message: str) -> None:
    record = logging.LogRecord("supportbot", logging.INFO, __file__, 1, "%s", (message,), None)
    logs.without_credentials(record)
    assert record.getMessage() == message


def test_a_malformed_log_call_is_reported_not_raised_and_leaks_nothing() -> None:
    record = logging.LogRecord("supportbot", logging.INFO, __file__, 1, "token %d", ("xoxb-123456789-SECRET",), None)
    assert logs.without_credentials(record)
    assert record.getMessage() == "malformed log call: token %d"
    try:
        raise RuntimeError("db at postgresql://bot:SECRETpw@db/prod failed")
    except RuntimeError:
        import sys

        failed = logging.LogRecord(
            "supportbot", logging.ERROR, __file__, 1, "after %d tries", ("three",), sys.exc_info()
        )
    logs.without_credentials(failed)
    assert "SECRET" not in logs.JsonFormatter().format(failed)
