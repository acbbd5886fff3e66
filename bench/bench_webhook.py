"""Load benchmark of POST /line/webhook: signed text events against a running `supportbot serve`.

Run: .venv/bin/python bench/bench_webhook.py [--requests 4000] [--concurrency 64] [--echo-app PATH]

Starts `supportbot serve` in its own process (SQLite in a temporary directory, a fast fake LINE
API on loopback), sends signed one-event webhooks from 64 concurrent connections, and prints
events per second, p50/p99 acknowledgement latency, and how many answers reached the fake API.
Every loop is bounded in count and in time; all traffic stays on 127.0.0.1.

--echo-app runs LINE's aiohttp echo example (examples/aiohttp-echo/app.py of line-bot-sdk-python)
under the same load for comparison, when a copy is at that path; the example reads
LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN and listens on port 8000.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
QUESTIONS = ["入金が反映されない", "パスワードを忘れた", "2FAの設定", "今電話つながる?", "API documentation", "zzzz"]
MAX_SECONDS = 120


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def fake_line(port: int, counter: list[int]) -> web.AppRunner:
    """A LINE API that accepts every reply and push at once."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        counter[0] += 1
        return web.json_response({"sentMessages": [{"id": "1", "quoteToken": "q"}]})

    app = web.Application()
    app.router.add_post("/v2/bot/message/reply", accept)
    app.router.add_post("/v2/bot/message/push", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def signed_body(n: int) -> tuple[bytes, str]:
    """One webhook with one text event from its own user."""
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"U{n:032d}"},
        "webhookEventId": f"bench-{n}-{time.time_ns()}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"reply-{n}",
        "message": {"type": "text", "id": str(n), "text": QUESTIONS[n % len(QUESTIONS)], "quoteToken": "q"},
    }
    body = json.dumps({"destination": "Ubench", "events": [event]}, ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, signature


async def wait_ready(session: aiohttp.ClientSession, url: str) -> None:
    """Poll until the server answers (bounded)."""
    for _ in range(300):
        try:
            async with session.get(url) as response:
                if response.status < 500:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} never came up")


async def load(url: str, requests: int, concurrency: int) -> tuple[float, list[float], int]:
    """Send `requests` webhooks with `concurrency` in flight; (seconds, latencies, non-200 count)."""
    bodies = [signed_body(n) for n in range(requests)]
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    deadline = time.monotonic() + MAX_SECONDS

    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty() and time.monotonic() < deadline:
                body, signature = queue.get_nowait()
                started = time.perf_counter()
                headers = {"X-Line-Signature": signature, "Content-Type": "application/json"}
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


def report(name: str, elapsed: float, latencies: list[float], failures: int) -> float:
    """Print one line of figures; return events per second."""
    ordered = sorted(latencies)
    rate = len(ordered) / elapsed
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name}: {len(ordered)} events in {elapsed:.1f} s = {rate:,.0f} events/s, "
        f"ack p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, non-200: {failures}"
    )
    return rate


async def run_server(argv: list[str], env: dict[str, str], health: str) -> asyncio.subprocess.Process:
    """Start a server process and wait until it answers."""
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=REPO, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    async with aiohttp.ClientSession() as session:
        await wait_ready(session, health)
    return process


async def main() -> None:
    """Benchmark supportbot (and the echo example when given)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--echo-app", type=Path, default=None)
    args = parser.parse_args()

    answered = [0]
    api_port, bot_port = free_port(), free_port()
    api = await fake_line(api_port, answered)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": f"http://127.0.0.1:{api_port}",
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}",
        }
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
            env.pop(name, None)
        argv = [sys.executable, "-m", "bots", "serve", "--host", "127.0.0.1", "--port", str(bot_port)]
        server = await run_server(argv, env, f"http://127.0.0.1:{bot_port}/healthz")
        try:
            await load(f"http://127.0.0.1:{bot_port}/line/webhook", 200, args.concurrency)  # warm-up
            while answered[0] < 200:
                await asyncio.sleep(0.05)
            answered[0] = 0
            elapsed, latencies, failures = await load(
                f"http://127.0.0.1:{bot_port}/line/webhook", args.requests, args.concurrency
            )
            ours = report("supportbot", elapsed, latencies, failures)
            waited = 0.0
            while answered[0] < len(latencies) and waited < 60:  # answers go out after the acknowledgement
                await asyncio.sleep(0.05)
                waited += 0.05
            total = elapsed + waited
            print(
                f"supportbot: {answered[0]} of {len(latencies)} events answered on the fake LINE API "
                f"{total:.1f} s after the first was sent = {answered[0] / total:,.0f} answers/s"
            )
        finally:
            server.terminate()
            await server.wait()

    if args.echo_app is None or not args.echo_app.is_file():
        print("echo example: no copy given (--echo-app PATH), no comparison run")
    else:
        env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN}
        echo = await run_server([sys.executable, str(args.echo_app)], env, "http://127.0.0.1:8000/")
        try:
            url = "http://127.0.0.1:8000/callback"
            elapsed, latencies, failures = await load(url, args.requests, args.concurrency)
            theirs = report("echo example", elapsed, latencies, failures)
            print(f"throughput ratio supportbot / echo example: {ours / theirs:.2f}")
        finally:
            echo.terminate()
            await echo.wait()
    await api.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
