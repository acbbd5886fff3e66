"""Real `supportbot serve` processes for tests that cross process boundaries."""

from __future__ import annotations

import asyncio
import socket
import sys

import aiohttp

from tests.conftest import REPO


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
