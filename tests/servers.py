"""Real `supportbot serve` processes for tests that cross process boundaries."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import aiohttp

from tests.conftest import REPO

# Every setting a test server takes from its environment: none is inherited from the caller's.
_SETTINGS = (
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
    "LINE_API_BASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_BASE_URL",
    "SLACK_APP_TOKEN",
    "SLACK_HANDOFF_CHANNEL",
    "DATABASE_URL",
)


def environment(**settings: str) -> dict[str, str]:
    """The process environment with exactly these bot settings (LINE_CHANNEL_SECRET=...)."""
    inherited = {name: value for name, value in os.environ.items() if name not in _SETTINGS}
    return {**inherited, **settings}


async def empty_postgres(url: str) -> None:
    """Drop every table of the bot's schema, for a test that starts servers on a fresh database."""
    from handlers.storage import Storage, metadata

    cleaner = Storage(url)
    async with cleaner.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
    await cleaner.close()


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """Start `supportbot serve` on 127.0.0.1:port and wait until /healthz answers."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise AssertionError(f"supportbot serve on port {port} never became healthy")


async def stop(process: asyncio.subprocess.Process) -> None:
    """Terminate a server and wait for it."""
    if process.returncode is None:
        process.terminate()
    await process.wait()
