from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.server import HANDOFFS, LINE, create_app
from bots.settings import load_settings
from handlers.hours import TOKYO
from handlers.messages import ConversationKey
from handlers.records import State
from handlers.responder import Responder
from handlers.storage import Storage
from tests import servers
from tests.fake_line import ACCESS_TOKEN, FakeLine
from tests.fake_slack import BOT_TOKEN, BOT_USER, FakeSlack
from tests.test_line import SECRET as LINE_SECRET
from tests.test_line import body_of, sign, text_event
from tests.test_slack import SECRET as SLACK_SECRET
from tests.test_slack import signed_headers

DESK = "C0HANDOFF"
CUSTOMER = "U1234567890abcdef"
KEY = ConversationKey("line", CUSTOMER, CUSTOMER)
TUE_1030 = datetime(2026, 11, 24, 10, 30, tzinfo=TOKYO)
SAT_1100 = datetime(2026, 11, 28, 11, 0, tzinfo=TOKYO)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeLine, FakeSlack]]:
    line, slack = FakeLine(), FakeSlack()
    line.server, slack.server = TestServer(line.app()), TestServer(slack.app())
    await line.server.start_server()
    await slack.server.start_server()
    yield line, slack
    await line.server.close()
    await slack.server.close()


Start = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def start_bot(fakes: tuple[FakeLine, FakeSlack], responder: Responder, tmp_path: Path) -> AsyncIterator[Start]:
    line, slack = fakes
    clients: list[TestClient] = []

    async def start(database_url: str | None = None, **extra: str) -> TestClient:
        cfg = load_settings(
            _env_file=None,
            LINE_CHANNEL_SECRET=LINE_SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
            LINE_API_BASE_URL=line.url,
            LINE_REPLY_TIMEOUT=0.5,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SLACK_SECRET,
            SLACK_API_BASE_URL=slack.api_url,
            SLACK_HANDOFF_CHANNEL=DESK,
            DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'handoff.db'}",
            **extra,
        )
        client = TestClient(TestServer(create_app(cfg, responder)))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


def customer_request(text: str, at: datetime, event_id: str) -> tuple[bytes, dict[str, str]]:
    body = body_of(text_event(text, event_id, timestamp=int(at.timestamp() * 1000)))
    return body, {"X-Line-Signature": sign(body), "Content-Type": "application/json"}


def staff_request(
    text: str,
    thread: str,
    user: str = "U-STAFF-1",
    ts: str = "1800000000.000001",
    files: list[dict[str, str]] | None = None,
) -> tuple[str, dict[str, object]]:
    event: dict[str, object] = {
        "type": "message",
        "channel": DESK,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread,
    }
    if files is not None:
        event.update(subtype="file_share", files=files)
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": f"Ev{ts}",
            "event_time": 1,
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
    )
    return body, {"Content-Type": "application/json", **signed_headers(body)}


async def customer_says(bot: TestClient, text: str, at: datetime, event_id: str) -> None:
    body, headers = customer_request(text, at, event_id)
    assert (await bot.post("/line/webhook", data=body, headers=headers)).status == 200
    await bot.app[LINE].drain()  # wait for the background answer


async def staff_says(
    bot: TestClient,
    text: str,
    thread: str,
    user: str = "U-STAFF-1",
    ts: str = "1800000000.000001",
    files: list[dict[str, str]] | None = None,
) -> None:
    body, headers = staff_request(text, thread, user, ts, files)
    assert (await bot.post("/slack/events", data=body, headers=headers)).status == 200


async def staff_presses(
    bot: TestClient, slack: FakeSlack, action_id: str, handoff_id: int, user: str = "U-STAFF-1"
) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "api_app_id": "A1",
        "channel": {"id": DESK},
        "container": {"type": "message"},
        "trigger_id": "t",
        "response_url": slack.response_url("btn"),
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b", "value": str(handoff_id), "action_ts": "1"}
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
    assert (await bot.post("/slack/events", data=body, headers=headers)).status == 200


async def list_handoffs(bot: TestClient, slack: FakeSlack, user: str) -> str:
    """Run /handoffs as `user` and return what Slack shows them."""
    fields = {
        "command": "/handoffs",
        "text": "",
        "user_id": user,
        "channel_id": DESK,
        "team_id": "T1",
        "response_url": slack.response_url(user),
        "trigger_id": "t",
    }
    body = urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
    assert (await bot.post("/slack/events", data=body, headers=headers)).status == 200
    path = f"/response/{user}"
    await eventually(lambda: any(c.path == path for c in slack.calls), f"/handoffs for {user}")
    return str(next(c for c in slack.calls if c.path == path).body["text"])


def texts_to_customer(line: FakeLine) -> list[str]:
    return [m["text"] for call in line.messages() for m in call.body["messages"]]


async def eventually(check: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


async def test_live_handoff_from_line_to_slack_and_back(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "入金が反映されない", TUE_1030, "e1")
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "e2")

    [card] = slack.posts(DESK)
    card_text = json.dumps(card.body["blocks"], ensure_ascii=False)
    assert "有人対応の依頼" in card_text and f"Customer {CUSTOMER[-4:]}" in card_text  # name from the LINE profile
    assert "入金が反映されない" in card_text  # the recent conversation
    assert "担当する" in card_text and "解決済み" in card_text
    assert "担当者におつなぎします" in texts_to_customer(line)[-1]
    thread = "1700000000.000001"

    await staff_says(bot, "ご不便をおかけしています。振込日時を教えていただけますか?", thread)
    await eventually(lambda: any("振込日時" in t for t in texts_to_customer(line)), "staff reply pushed to LINE")
    push = next(c for c in line.sent("/v2/bot/message/push") if "振込日時" in c.body["messages"][0]["text"])
    assert push.body["to"] == CUSTOMER and push.headers["X-Line-Retry-Key"]
    await staff_says(bot, "note: 銀行側の遅延の可能性", thread, ts="1800000000.000002")
    # A reply with nothing to hide goes as written, widths and all.
    await staff_says(
        bot,
        "①アプリを開く（土日祝除く）https://support.example.com/hc/articles/360012345678",
        thread,
        ts="1800000000.000004",
    )
    await eventually(
        lambda: any(
            t == "①アプリを開く（土日祝除く）https://support.example.com/hc/articles/360012345678"
            for t in texts_to_customer(line)
        ),
        "as written",
    )
    # A secret in a staff reply reaches the customer as the transcript keeps it, and staff are told.
    await staff_says(bot, "仮パスワードは Tmp!2026x です", thread, ts="1800000000.000003")
    await eventually(lambda: any("仮パスワード" in t for t in texts_to_customer(line)), "masked reply pushed")
    assert not any("Tmp!2026x" in t for t in texts_to_customer(line))
    assert any("伏せ字のまま届きました" in c.body["text"] for c in slack.posts(DESK, thread))

    await customer_says(bot, "昨日の15時です。パスワードは Abc!2345 です", TUE_1030, "e3")
    in_thread = [c.body["text"] for c in slack.posts(DESK, thread)]
    assert any("昨日の15時です" in t and "[伏せ字]" in t and "Abc!2345" not in t for t in in_thread)
    assert "誰にも送らないでください" in texts_to_customer(line)[-1]  # warned, not answered by the bot
    assert not any("銀行側の遅延" in t for t in texts_to_customer(line))  # notes stay internal
    # A secret split over two messages: the label in one, the value in the next.
    await customer_says(bot, "あと暗証番号は", TUE_1030, "e3a")
    await customer_says(bot, "Zq7734xx", TUE_1030, "e3b")
    in_thread = [c.body["text"] for c in slack.posts(DESK, thread)]
    assert not any("Zq7734xx" in t for t in in_thread) and any(t.split()[-1] == "[伏せ字]" for t in in_thread)

    handoffs = bot.app[HANDOFFS]
    [handoff] = await handoffs.storage.open_handoffs()
    assert handoff.state is State.CLAIMED and handoff.claimed_by == "U-STAFF-1"  # replying claimed it
    await staff_presses(bot, slack, "handoff_resolve", handoff.id)
    await eventually(lambda: "1〜5" in texts_to_customer(line)[-1], "rating asked")
    await customer_says(bot, "5", TUE_1030, "e4")
    rated = await handoffs.storage.get(handoff.id)
    assert rated is not None and rated.state is State.RESOLVED and rated.rating == 5
    assert "ご評価ありがとうございました" in texts_to_customer(line)[-1]
    lines = [(x.author, x.text) for x in await handoffs.storage.transcript(handoff.id)]
    assert [a for a, _ in lines] == ["staff", "note", "staff", "staff", "customer", "customer", "customer"]
    assert "Abc!2345" not in json.dumps(lines, ensure_ascii=False) and "Zq7734xx" not in json.dumps(lines)


async def test_saturday_request_leaves_a_queued_message(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "担当者につないでください", SAT_1100, "s1")
    said = "\n".join(texts_to_customer(line))
    assert "チャットサポートは現在受付時間外です。次の受付開始は11月30日(月) 10:00です" in said
    assert "お問い合わせフォーム" in said and "メッセージを残して" in said
    assert slack.posts(DESK) == []
    await customer_says(bot, "出金が3日届いていません。確認をお願いします", SAT_1100, "s2")
    [card] = slack.posts(DESK)
    card_text = json.dumps(card.body["blocks"], ensure_ascii=False)
    assert "時間外メッセージ" in card_text and "出金が3日届いていません" in card_text
    assert "承りました" in texts_to_customer(line)[-1]
    storage = bot.app[HANDOFFS].storage
    assert await storage.active_handoff(KEY) is None  # no live handoff
    [queued] = await storage.open_handoffs()
    assert queued.state is State.QUEUED


async def test_a_left_message_with_a_secret_is_answered_in_the_customers_language(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "talk to a human", SAT_1100, "m1")
    await customer_says(bot, "I cannot log in, my password is hunter22", SAT_1100, "m2")
    warning, thanks = texts_to_customer(line)[-2:]
    assert warning.startswith("⚠ Never send passwords") and thanks.startswith("Thank you, we have your message")
    [card] = slack.posts(DESK)
    assert "hunter22" not in json.dumps(card.body, ensure_ascii=False)


async def test_a_message_left_out_of_hours_becomes_live_when_the_customer_asks_again(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    thread = "1700000000.000001"
    await customer_says(bot, "担当者につないでください", SAT_1100, "q1")
    await customer_says(bot, "出金が3日届いていません", SAT_1100, "q2")
    await customer_says(bot, "担当者につないでください", SAT_1100 + timedelta(minutes=1), "q3")
    await customer_says(bot, "追加: 送金先を間違えたかもしれません", SAT_1100 + timedelta(minutes=1), "q4")
    assert any("送金先を間違えた" in c.body["text"] for c in slack.posts(DESK, thread))  # a second left message
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "q5")  # chat is open now
    storage = bot.app[HANDOFFS].storage
    live = await storage.active_handoff(KEY)
    assert live is not None and live.state is State.WAITING and live.staff_thread == thread
    assert any("チャットでの対応を希望" in c.body["text"] for c in slack.posts(DESK, thread))
    assert len([c for c in slack.posts(DESK) if "thread_ts" not in c.body]) == 1  # no second card
    # Its claim timer starts when it went live, not on Saturday.
    assert await storage.expire_unclaimed(TUE_1030 - timedelta(minutes=1), TUE_1030) == []
    await customer_says(bot, "まだ届いていません", TUE_1030, "q6")
    assert any("まだ届いていません" in c.body["text"] for c in slack.posts(DESK, thread))
    # Nobody takes it in time: the left message goes back to the queue, not away.
    handoffs = bot.app[HANDOFFS]
    assert [h.id for h in await handoffs.expire(TUE_1030 + timedelta(minutes=11))] == []
    assert "お預かりしているメッセージ" in texts_to_customer(line)[-1]
    [queued] = await storage.open_handoffs()
    assert queued.state is State.QUEUED
    await staff_says(bot, "確認いたします", thread)
    await eventually(lambda: "確認いたします" in texts_to_customer(line)[-1], "staff reply pushed to LINE")


async def test_a_left_message_slack_refuses_is_told_and_the_bot_answers_again(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "担当者につないでください", SAT_1100, "w1")
    await customer_says(bot, "出金が届いていません", SAT_1100, "w2")  # the queued card
    await customer_says(bot, "担当者につないでください", SAT_1100, "w3")
    slack.throttled = 10
    await customer_says(bot, "追加の連絡です", SAT_1100, "w4")  # cannot be posted
    assert "ただいま担当者におつなぎできません" in texts_to_customer(line)[-1]
    slack.throttled = 0
    await customer_says(bot, "パスワードを忘れた", SAT_1100, "w5")
    assert "認証コード" in texts_to_customer(line)[-1]  # answered, not taken as another left message


async def test_nothing_is_lost_across_a_restart(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    line, slack = fakes
    first = await start_bot()
    await customer_says(first, "オペレーターと話したい", TUE_1030, "r1")
    thread = slack.posts(DESK)[0].body and "1700000000.000001"
    await first.close()  # the process dies mid-handoff

    second = await start_bot()
    await staff_says(second, "お待たせしました。担当の佐藤です。", thread)
    await eventually(lambda: any("担当の佐藤" in t for t in texts_to_customer(line)), "staff reply after restart")
    await customer_says(second, "よろしくお願いします", TUE_1030, "r2")
    assert any("よろしくお願いします" in c.body["text"] for c in slack.posts(DESK, thread))


async def test_two_fallbacks_offer_a_person(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    line, _ = fakes
    bot = await start_bot()
    await customer_says(bot, "ふがふが", TUE_1030, "f1")
    assert "オペレーターと話す" not in texts_to_customer(line)[-1]
    await customer_says(bot, "ほげほげ", TUE_1030, "f2")
    last = line.messages()[-1].body["messages"][-1]
    assert "担当者とお話しになる場合" in last["text"]
    assert "オペレーターと話す" in [i["action"]["label"] for i in last["quickReply"]["items"]]


async def test_customer_can_end_the_handoff(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "c1")
    await customer_says(bot, "終了", TUE_1030, "c2")
    assert "1〜5" in texts_to_customer(line)[-1]
    assert any("お客様が会話を終了しました" in c.body["text"] for c in slack.posts(DESK, "1700000000.000001"))
    assert await bot.app[HANDOFFS].storage.active_handoff(KEY) is None


async def test_unclaimed_handoff_expires_with_the_form_offered(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "x1")
    handoffs = bot.app[HANDOFFS]
    assert await handoffs.expire(TUE_1030 + timedelta(minutes=5)) == []
    [expired] = await handoffs.expire(TUE_1030 + timedelta(minutes=11))
    assert expired.state is State.EXPIRED
    assert "お問い合わせフォーム" in texts_to_customer(line)[-1]
    assert any("時間内に担当者がつかなかった" in c.body["text"] for c in slack.posts(DESK))


async def test_only_handoff_channel_members_can_act(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "m1")
    before = len(texts_to_customer(line))
    await staff_says(bot, "I am not staff", "1700000000.000001", user="U-OUTSIDER")
    await staff_presses(bot, slack, "handoff_claim", 1, user="U-OUTSIDER")
    await eventually(lambda: any(c.path == "/response/btn" for c in slack.calls), "refusal shown")
    assert "メンバーだけ" in next(c for c in slack.calls if c.path == "/response/btn").body["text"]
    assert len(texts_to_customer(line)) == before
    [handoff] = await bot.app[HANDOFFS].storage.open_handoffs()
    assert handoff.claimed_by is None
    await staff_presses(bot, slack, "handoff_claim", handoff.id, user="U-STAFF-2")
    await eventually(lambda: "担当者が確認しています" in texts_to_customer(line)[-1], "claim told to customer")


async def test_handoffs_command_lists_open_ones(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    _, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "l1")
    listing = await list_handoffs(bot, slack, "U-STAFF-1")
    assert "#1 waiting" in listing and "未担当" in listing


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (set by .ci/run)")
async def test_two_processes_on_postgresql_route_one_handoff(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    url = os.environ["TEST_DATABASE_URL"]
    await servers.empty_postgres(url)
    one, two = await start_bot(url), await start_bot(url)
    await customer_says(one, "オペレーターと話したい", TUE_1030, "p1")
    thread = "1700000000.000001"
    await staff_says(two, "担当の鈴木です", thread)
    await eventually(lambda: any("担当の鈴木" in t for t in texts_to_customer(line)), "reply via the other process")
    await customer_says(two, "ありがとうございます、出金の件です", TUE_1030, "p2")
    assert any("出金の件です" in c.body["text"] for c in slack.posts(DESK, thread))
    [handoff] = await one.app[HANDOFFS].storage.open_handoffs()
    assert handoff.claimed_by == "U-STAFF-1"


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (set by .ci/run)")
async def test_two_supportbot_serve_processes_share_one_handoff(fakes: tuple[FakeLine, FakeSlack]) -> None:
    line, slack = fakes
    url = os.environ["TEST_DATABASE_URL"]
    await servers.empty_postgres(url)
    first, second = servers.free_port(), servers.free_port()
    processes = [await servers.serve(_server_env(line, slack, url), port) for port in (first, second)]
    thread = "1700000000.000001"
    try:
        async with aiohttp.ClientSession() as session:
            body, headers = customer_request("オペレーターと話したい", TUE_1030, "pp1")
            await _post(session, first, "/line/webhook", body, headers)
            await eventually(lambda: bool(slack.posts(DESK)), "card from process one")
            staff, headers = staff_request("担当の田中です", thread, ts="1800000000.000009")
            await _post(session, second, "/slack/events", staff, headers)
            await eventually(lambda: any("担当の田中" in t for t in texts_to_customer(line)), "reply via process two")
            body, headers = customer_request("出金の件です", TUE_1030, "pp2")
            await _post(session, second, "/line/webhook", body, headers)
            await eventually(
                lambda: any("出金の件です" in c.body["text"] for c in slack.posts(DESK, thread)),
                "customer line into the thread via process two",
            )
    finally:
        for process in processes:
            await servers.stop(process)


def _server_env(line: FakeLine, slack: FakeSlack, database_url: str) -> dict[str, str]:
    return servers.environment(
        LINE_CHANNEL_SECRET=LINE_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
        LINE_API_BASE_URL=line.url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_BASE_URL=slack.api_url,
        SLACK_HANDOFF_CHANNEL=DESK,
        DATABASE_URL=database_url,
    )


async def _post(
    session: aiohttp.ClientSession, port: int, path: str, body: bytes | str, headers: dict[str, str]
) -> None:
    async with session.post(f"http://127.0.0.1:{port}{path}", data=body, headers=headers) as response:
        assert response.status == 200


async def test_a_killed_server_loses_nothing(fakes: tuple[FakeLine, FakeSlack], tmp_path: Path) -> None:
    line, slack = fakes
    env = _server_env(line, slack, f"sqlite:///{tmp_path / 'killed.db'}")
    port = servers.free_port()
    thread = "1700000000.000001"
    async with aiohttp.ClientSession() as session:
        first = await servers.serve(env, port)
        try:
            body, headers = customer_request("オペレーターと話したい", TUE_1030, "k1")
            await _post(session, port, "/line/webhook", body, headers)
            await eventually(lambda: bool(slack.posts(DESK)), "card posted")
            await _linked(env["DATABASE_URL"])  # the card's thread is recorded
        finally:
            first.kill()  # no cleanup, no goodbye
            await first.wait()
        second = await servers.serve(env, port)
        try:
            staff, headers = staff_request("再起動後の返信です", thread, ts="1800000000.000077")
            await _post(session, port, "/slack/events", staff, headers)
            await eventually(lambda: any("再起動後の返信" in t for t in texts_to_customer(line)), "reply after kill")
            body, headers = customer_request("届きました", TUE_1030, "k2")
            await _post(session, port, "/line/webhook", body, headers)
            await eventually(lambda: any("届きました" in c.body["text"] for c in slack.posts(DESK, thread)), "thread")
        finally:
            await servers.stop(second)


async def _linked(url: str) -> None:
    storage = Storage(url)
    try:
        for _ in range(200):
            if await storage.by_thread(DESK, "1700000000.000001") is not None:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("thread never linked")
    finally:
        await storage.close()


async def test_customer_text_reaches_slack_inert_and_staff_text_reaches_line_plain(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "esc1")
    await customer_says(bot, "<!channel> 見て <https://evil.example|公式サポート>", TUE_1030, "esc2")
    thread = "1700000000.000001"
    posted = slack.posts(DESK, thread)[-1].body["text"]
    assert "<!channel>" not in posted and "&lt;!channel&gt;" in posted and "<https://evil" not in posted
    await staff_says(bot, "こちらをご覧ください <https://example.com/help|ヘルプ> &amp; <@U-STAFF-1>", thread)
    await eventually(lambda: any("ヘルプ (https://example.com/help)" in t for t in texts_to_customer(line)), "plain")
    pushed = texts_to_customer(line)[-1]
    assert pushed == "こちらをご覧ください ヘルプ (https://example.com/help) &"


async def test_a_reply_also_sent_to_the_channel_still_reaches_the_customer(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, _ = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "tb1")
    event = {
        "type": "message",
        "subtype": "thread_broadcast",
        "channel": DESK,
        "channel_type": "channel",
        "user": "U-STAFF-1",
        "text": "全員に共有しつつ返信します",
        "ts": "1800000000.000050",
        "thread_ts": "1700000000.000001",
    }
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": "EvTB",
            "event_time": 1,
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
    )
    headers = {"Content-Type": "application/json", **signed_headers(body)}
    assert (await bot.post("/slack/events", data=body, headers=headers)).status == 200
    await eventually(lambda: any("全員に共有" in t for t in texts_to_customer(line)), "broadcast reply pushed")


async def test_when_staff_cannot_be_reached_the_customer_is_told(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    assert slack.server is not None
    await slack.server.close()  # Slack is down
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "down1")
    assert "ただいま担当者におつなぎできません" in texts_to_customer(line)[-1]
    storage = bot.app[HANDOFFS].storage
    assert await storage.active_handoff(KEY) is None
    await customer_says(bot, "パスワードを忘れた", TUE_1030, "down2")
    assert "認証コード" in texts_to_customer(line)[-1]  # the bot answers again


async def test_a_busy_slack_is_waited_out_and_a_lost_line_is_told(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    thread = "1700000000.000001"
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "b1")
    slack.throttled = 1  # Slack allows about a message a second in a channel
    await customer_says(bot, "口座番号を確認してください", TUE_1030, "b2")
    assert any("口座番号を確認" in c.body["text"] for c in slack.posts(DESK, thread))
    assert "担当者におつなぎします" in texts_to_customer(line)[-1]  # the bot stayed quiet
    slack.throttled = 10  # still refused after the retries
    await customer_says(bot, "まだですか", TUE_1030, "b3")
    assert not any("まだですか" in c.body["text"] for c in slack.posts(DESK, thread))
    assert "届けられませんでした" in texts_to_customer(line)[-1]
    [handoff] = await bot.app[HANDOFFS].storage.open_handoffs()
    assert [x.text for x in await bot.app[HANDOFFS].storage.transcript(handoff.id)][-1] == "まだですか"


async def test_a_note_slack_refuses_never_holds_back_a_staff_reply(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "n1")
    slack.throttled = 10  # the "claimed" note in the thread cannot be posted
    await staff_says(bot, "担当の山田です。確認します", "1700000000.000001")
    await eventually(lambda: "担当の山田です" in texts_to_customer(line)[-1], "staff reply pushed to LINE")


async def test_staff_asking_the_bot_in_a_thread_is_not_sent_to_the_customer(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, _ = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "m1")
    pushes = len(line.sent("/v2/bot/message/push"))
    await staff_says(bot, f"<@{BOT_USER}> 入金が反映されない時の案内", "1700000000.000001")
    await staff_says(bot, "お待たせしました", "1700000000.000001", ts="1800000000.000002")
    await eventually(lambda: "お待たせしました" in texts_to_customer(line)[-1], "the next line pushed")
    assert len(line.sent("/v2/bot/message/push")) == pushes + 1  # only the line meant for the customer


async def test_a_customers_messages_reach_the_thread_in_order(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    _, slack = fakes
    bot = await start_bot()
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "o0")
    at = int(TUE_1030.timestamp() * 1000)
    body = body_of(*(text_event(f"順番{n}", f"o{n}", timestamp=at) for n in range(1, 7)))
    assert (await bot.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await bot.app[LINE].drain()
    lines = [c.body["text"] for c in slack.posts(DESK, "1700000000.000001")]
    assert [line.split("順番")[1] for line in lines if "順番" in line] == ["1", "2", "3", "4", "5", "6"]


async def test_the_rate_limit_never_drops_what_a_customer_tells_staff(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot(RATE_LIMIT_MESSAGES="2", RATE_LIMIT_WINDOW="60")
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "r0")
    for n in range(1, 7):  # six short lines in a few seconds, to a person
        await customer_says(bot, f"説明{n}", TUE_1030 + timedelta(seconds=n), f"r{n}")
    lines = [c.body["text"] for c in slack.posts(DESK, "1700000000.000001")]
    assert [line.split("説明")[1] for line in lines if "説明" in line] == ["1", "2", "3", "4", "5", "6"]
    assert not any("続けて受け取りました" in t for t in texts_to_customer(line))
    # Lines to staff have a limit of their own, five times the bot's (10 a minute here): spam meets it.
    for n in range(7, 13):
        await customer_says(bot, f"説明{n}", TUE_1030 + timedelta(seconds=n), f"r{n}")
    lines = [c.body["text"] for c in slack.posts(DESK, "1700000000.000001")]
    assert [line.split("説明")[1] for line in lines if "説明" in line] == [str(n) for n in range(1, 11)]
    assert sum("転送を少しの間止めています" in t for t in texts_to_customer(line)) == 1
    # The bot's own answers are still limited: after the handoff, a flood gets one notice.
    [handoff] = await bot.app[HANDOFFS].storage.open_handoffs()
    await staff_presses(bot, slack, "handoff_resolve", handoff.id)
    await eventually(lambda: "1〜5" in texts_to_customer(line)[-1], "rating asked")
    later = TUE_1030 + timedelta(minutes=5)
    for n in range(4):
        await customer_says(bot, "入金が反映されない", later + timedelta(seconds=n), f"f{n}")
    said = texts_to_customer(line)
    assert sum("続けて受け取りました" in t for t in said) == 1


async def test_a_person_is_offered_only_in_a_one_to_one_chat(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    mention = {"mentionees": [{"index": 0, "length": 4, "type": "user", "userId": "Ubot", "isSelf": True}]}
    in_group = text_event(
        "@bot オペレーターと話したい",
        "grp1",
        timestamp=int(TUE_1030.timestamp() * 1000),
        source={"type": "group", "groupId": "Cgroup0001", "userId": CUSTOMER},
    )
    in_group["message"]["mention"] = mention
    body = body_of(in_group)
    assert (await bot.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await bot.app[LINE].drain()
    assert "1対1のトーク" in texts_to_customer(line)[-1]
    assert slack.posts(DESK) == []  # no card: staff replies would go to the whole group
    assert await bot.app[HANDOFFS].storage.open_handoffs() == []


async def test_a_file_from_staff_is_not_sent_and_staff_are_told(
    fakes: tuple[FakeLine, FakeSlack], start_bot: Start
) -> None:
    line, slack = fakes
    bot = await start_bot()
    thread = "1700000000.000001"
    await customer_says(bot, "オペレーターと話したい", TUE_1030, "f1")
    pushes = len(line.sent("/v2/bot/message/push"))
    screenshot = [{"id": "F1", "name": "手順.png", "mimetype": "image/png"}]
    await staff_says(bot, "", thread, files=screenshot)
    await staff_says(bot, "手順の画像です", thread, ts="1800000000.000002", files=screenshot)
    await eventually(lambda: "手順の画像です" in texts_to_customer(line)[-1], "the text pushed to LINE")
    assert len(line.sent("/v2/bot/message/push")) == pushes + 1  # the file alone pushed nothing
    await eventually(
        lambda: sum("添付ファイル" in c.body["text"] for c in slack.posts(DESK, thread)) == 2, "staff told twice"
    )
    slack.throttled = 10  # the note about the file cannot be posted: the text still goes
    await staff_says(bot, "ご確認ください", thread, ts="1800000000.000003", files=screenshot)
    await eventually(lambda: "ご確認ください" in texts_to_customer(line)[-1], "the text pushed despite Slack")


async def test_two_requests_at_once_open_one_handoff(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    _, slack = fakes
    bot = await start_bot()
    at = int(TUE_1030.timestamp() * 1000)
    body = body_of(
        text_event("オペレーターと話したい", "d1", timestamp=at), text_event("人と話したい", "d2", timestamp=at)
    )
    assert (await bot.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await bot.app[LINE].drain()
    assert len([c for c in slack.posts(DESK) if "thread_ts" not in c.body]) == 1


async def test_outsiders_cannot_list_handoffs(fakes: tuple[FakeLine, FakeSlack], start_bot: Start) -> None:
    _, slack = fakes
    bot = await start_bot()
    assert "メンバーだけ" in await list_handoffs(bot, slack, "U-OUTSIDER")
