"""Load benchmark of POST /line/webhook: signed text events against a running `supportbot serve`.

Run: .venv/bin/python bench/bench_webhook.py [--requests 4000] [--concurrency 64] [--distinct]
         [--echo-app PATH] [--server-log PATH] [--database-url URL]

Starts `supportbot serve` in its own process (SQLite in a temporary directory, a fast fake LINE
API on loopback), sends signed one-event webhooks from 64 concurrent connections, waits until
every event is answered on the fake API, and prints answered events per second and p50/p99
acknowledgement latency. Every loop is bounded in count and in time; all traffic stays on 127.0.0.1.

--echo-app runs LINE's aiohttp echo example (examples/aiohttp-echo/app.py of line-bot-sdk-python,
a copy you provide; it is not part of this repository) under the same load and prints the ratios.
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
# The development queries (in scope and out, Japanese and English) in turn, as customers repeat
# common questions; --distinct makes every text unique, so no answer comes from the matcher's memory.
QUESTIONS = [
    json.loads(line)["q"]
    for line in (REPO.parent / "shared/eval/dev_queries.jsonl").read_text("utf-8").splitlines()
    if line
]
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


def signed_body(n: int, distinct: bool) -> tuple[bytes, str]:
    """One webhook with one text event from its own user."""
    text = QUESTIONS[n % len(QUESTIONS)] + (f" {n}" if distinct else "")
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"U{n:032d}"},
        "webhookEventId": f"bench-{n}-{time.time_ns()}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"reply-{n}",
        "message": {"type": "text", "id": str(n), "text": text, "quoteToken": "q"},
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


async def load(url: str, requests: int, concurrency: int, distinct: bool) -> tuple[float, list[float], int]:
    """Send `requests` webhooks with `concurrency` in flight; (seconds, latencies, non-200 count)."""
    bodies = [signed_body(n, distinct) for n in range(requests)]
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


async def run_server(
    argv: list[str], env: dict[str, str], health: str, log: Path | None = None
) -> asyncio.subprocess.Process:
    """Start a server process (its log appended to `log`, if given) and wait until it answers."""
    with open(log or os.devnull, "ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=REPO, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )
    async with aiohttp.ClientSession() as session:
        await wait_ready(session, health)
    return process


# The example has no setting for the API host. Its client's default endpoint (v3 AsyncMessagingApi in
# the current example, v2 AsyncLineBotApi in older copies) is pointed at the fake API before it runs,
# so no request can leave the machine.
ECHO_LAUNCHER = (
    "import runpy, sys\n"
    "api = sys.argv[2]\n"
    "from linebot import AsyncLineBotApi\n"
    "AsyncLineBotApi.__init__.__defaults__ = (api, api)\n"
    "from linebot.v3.messaging import AsyncMessagingApi\n"
    "init = AsyncMessagingApi.__init__\n"
    "def pointed(self, *args, **kwargs):\n"
    "    init(self, *args, **kwargs)\n"
    "    self.line_base_path = api\n"
    "AsyncMessagingApi.__init__ = pointed\n"
    "path = sys.argv[1]\n"
    "sys.argv = [path, '--port', sys.argv[3]]\n"
    "runpy.run_path(path, run_name='__main__')\n"
)


async def measure(name: str, url: str, args: argparse.Namespace, answered: list[int]) -> Figures:
    """Warm up, then load `url` and wait until every event is answered on the fake API."""
    await load(url, 200, args.concurrency, False)
    for _ in range(600):
        if answered[0] >= 200:
            break
        await asyncio.sleep(0.05)
    answered[0] = 0
    elapsed, latencies, failures = await load(url, args.requests, args.concurrency, args.distinct)
    started = time.perf_counter()
    while answered[0] < len(latencies) and time.perf_counter() - started < 60:
        await asyncio.sleep(0.01)
    done = elapsed + time.perf_counter() - started
    figures = Figures(name, len(latencies), elapsed, done, answered[0], sorted(latencies), failures)
    figures.print()
    return figures


async def measure_and_stop(
    server: asyncio.subprocess.Process, name: str, url: str, args: argparse.Namespace, answered: list[int]
) -> Figures:
    """Measure a running server, then stop it whatever happened."""
    try:
        return await measure(name, url, args, answered)
    finally:
        server.terminate()
        await server.wait()


class Figures:
    """One run's results: events sent, acknowledged and answered, and acknowledgement latency."""

    def __init__(
        self, name: str, sent: int, elapsed: float, done: float, answered: int, ordered: list[float], failures: int
    ) -> None:
        self.name, self.sent, self.elapsed, self.done = name, sent, elapsed, done
        self.answered, self.ordered, self.failures = answered, ordered, failures
        # Answered events per second, from the first request to the last answer on the fake API:
        # the rate a bot sustains, whether it answers before or after its acknowledgement.
        self.rate = answered / done
        self.p50 = statistics.median(ordered)
        self.p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    def print(self) -> None:
        """One line of figures."""
        print(
            f"{self.name}: {self.sent} events, {self.answered} answered in {self.done:.2f} s = "
            f"{self.rate:,.0f} events/s answered ({self.sent / self.elapsed:,.0f}/s acknowledged), "
            f"ack p50 {self.p50 * 1000:.1f} ms, p99 {self.p99 * 1000:.1f} ms, non-200: {self.failures}"
        )


async def main() -> None:
    """Benchmark supportbot (and the echo example when given)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--echo-app", type=Path, default=None)
    parser.add_argument("--distinct", action="store_true", help="make every message text unique")
    parser.add_argument("--server-log", type=Path, default=None, help="append supportbot's log here")
    parser.add_argument("--database-url", default=None, help="instead of a temporary SQLite file (e.g. PostgreSQL)")
    args = parser.parse_args()

    answered = [0]
    api_port, bot_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    api = await fake_line(api_port, answered)
    base_env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN}
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        base_env.pop(name, None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            env = {**base_env, "LINE_API_BASE_URL": api_url, "DATABASE_URL": database}
            argv = [sys.executable, "-m", "bots", "serve", "--host", "127.0.0.1", "--port", str(bot_port)]
            server = await run_server(argv, env, f"http://127.0.0.1:{bot_port}/healthz", args.server_log)
            ours = await measure_and_stop(
                server, "supportbot", f"http://127.0.0.1:{bot_port}/line/webhook", args, answered
            )

        if args.echo_app is None or not args.echo_app.is_file():
            print("echo example: no copy given (--echo-app PATH), no comparison run")
            return
        echo_port = free_port()
        argv = [sys.executable, "-c", ECHO_LAUNCHER, str(args.echo_app), api_url, str(echo_port)]
        echo = await run_server(argv, base_env, f"http://127.0.0.1:{echo_port}/")
        theirs = await measure_and_stop(echo, "echo example", f"http://127.0.0.1:{echo_port}/callback", args, answered)
        print(
            f"supportbot / echo example: {ours.rate / theirs.rate:.2f}x the answered events/s, "
            f"{ours.p99 / theirs.p99:.2f}x the ack p99"
        )
    finally:
        await api.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
