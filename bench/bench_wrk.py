"""Webhook load with wrk and nginx, the issue's method: light C tools, so the bot gets the cores.

Run: .venv/bin/python bench/bench_wrk.py [--seconds 10] [--connections 64] [--distinct] [--echo-app PATH] [--rounds N]

Needs `wrk` and `nginx` on PATH (Debian: apt-get install wrk nginx-light). nginx plays the LINE API,
answering every call with a fixed JSON body and logging it; wrk sends pre-signed one-event
webhooks (each with its own event id) from --connections connections for --seconds. Answered
events are counted in nginx's log, from the first request until the last answer. Everything
stays on 127.0.0.1. bench_webhook.py does the same in Python, with no tools to install, but its
load generator and fake API take a core of their own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_webhook import ECHO_LAUNCHER, REPO, SECRET, TOKEN, free_port, signed_body

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log {tmp}/api.log;
  client_body_temp_path {tmp}/body;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      default_type application/json;
      return 200 '{{"sentMessages":[{{"id":"1","quoteToken":"q"}}]}}';
    }}
  }}
}}
"""
# wrk sends the pre-signed requests in turn; each line of the file is "signature<TAB>body".
WRK_SCRIPT = """
local requests = {{}}
init = function(args)
  for line in io.lines("{requests}") do
    local tab = string.find(line, "\\t", 1, true)
    local headers = {{["Content-Type"] = "application/json", ["X-Line-Signature"] = string.sub(line, 1, tab - 1)}}
    requests[#requests + 1] = wrk.format("POST", nil, headers, string.sub(line, tab + 1))
  end
end
local i = 0
request = function()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
"""
# More requests than any run of this length can send, so no event id repeats.
REQUESTS_PER_SECOND_CEILING = 15_000


def wait_until_up(url: str) -> None:
    """Poll a URL until anything answers, an HTTP error included (bounded)."""
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} never came up")


def milliseconds(text: str) -> float:
    """A wrk duration (850.00us, 12.3ms, 1.2s) in milliseconds."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(f"not a wrk duration: {text!r}")


def answered(log: Path) -> int:
    """Messaging API calls nginx has logged so far."""
    with log.open("rb") as lines:
        return sum(1 for line in lines if b"POST /v2/bot/message/" in line)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    name: str, argv: list[str], env: dict[str, str], port: int, path: str, args: argparse.Namespace, tmp: Path
) -> tuple[float, float]:
    """Start a server, load it with wrk, wait for its last answer, print; answered events/s and ack p99 (ms)."""
    log = tmp / "api.log"
    written = args.seconds * REQUESTS_PER_SECOND_CEILING
    server = subprocess.Popen(argv, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz" if path.startswith("/line") else f"http://127.0.0.1:{port}/")
        url = f"http://127.0.0.1:{port}{path}"
        requests = tmp / "requests.txt"
        with requests.open("w", encoding="utf-8") as out:
            for n in range(written):
                body, signature = signed_body(n, args.distinct)
                out.write(f"{signature}\t{body.decode()}\n")
        script = tmp / "requests.lua"
        script.write_text(WRK_SCRIPT.format(requests=requests), encoding="utf-8")
        log.write_bytes(b"")
        subprocess.run(["nginx", "-c", str(tmp / "nginx.conf"), "-s", "reopen"], check=True, capture_output=True)
        started, cpu_before = time.monotonic(), cpu_seconds(server.pid)
        wrk = subprocess.run(
            ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-s", str(script), url],
            check=True,
            capture_output=True,
            text=True,
            timeout=args.seconds + 60,
        )
        sent = int(re.search(r"(\d+) requests in", wrk.stdout).group(1))  # type: ignore[union-attr]
        if sent > written:  # event ids came round again and were (rightly) answered once
            raise SystemExit(f"bench_wrk: {sent} requests sent but only {written} distinct ones written")
        last, count = time.monotonic(), answered(log)
        while count < sent and time.monotonic() - last < 2.0:  # until every answer is in, or none comes for 2 s
            time.sleep(0.05)
            now = answered(log)
            if now != count:
                last, count = time.monotonic(), now
        rate = count / (last - started)
        cpu = (cpu_seconds(server.pid) - cpu_before) / max(count, 1) * 1e6
        latency = {p: milliseconds(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", wrk.stdout, re.MULTILINE)}
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk.stdout)
        print(
            f"{name}: {sent} events in {args.seconds} s, {count} answered = {rate:,.0f} events/s answered, "
            f"ack p50 {latency['50']:.1f} ms, p99 {latency['99']:.1f} ms, non-2xx: {errors.group(1) if errors else 0}, "
            f"server CPU {cpu:.0f} µs an answer"
        )
        return rate, latency["99"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    """Benchmark supportbot (and the echo example when given) behind wrk, against nginx."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--distinct", action="store_true", help="make every message text unique")
    parser.add_argument("--echo-app", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=1, help="alternate the servers this many times; medians")
    args = parser.parse_args()
    missing = [tool for tool in ("wrk", "nginx") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"bench_wrk: needs {', '.join(missing)} on PATH (apt-get install wrk nginx-light)")

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "body").mkdir()
        api_port, bot_port = free_port(), free_port()
        (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=api_port), encoding="utf-8")
        nginx = subprocess.Popen(["nginx", "-c", str(tmp / "nginx.conf")])
        try:
            api_url = f"http://127.0.0.1:{api_port}"
            wait_until_up(api_url)
            env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN}
            for setting in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
                env.pop(setting, None)
            echo = args.echo_app is not None and args.echo_app.is_file()
            if not echo:
                print("echo example: no copy given (--echo-app PATH), no comparison run")
            ours: list[tuple[float, float]] = []
            theirs: list[tuple[float, float]] = []
            for round_ in range(args.rounds):
                # A fresh database each round, so no event id is remembered from the last one.
                database = f"sqlite:///{tmp / f'bench-{round_}.db'}"
                ours_env = {**env, "LINE_API_BASE_URL": api_url, "DATABASE_URL": database}
                argv = [sys.executable, "-m", "bots", "serve", "--host", "127.0.0.1", "--port", str(bot_port)]
                ours.append(run("supportbot", argv, ours_env, bot_port, "/line/webhook", args, tmp))
                if echo:
                    echo_port = free_port()
                    argv = [sys.executable, "-c", ECHO_LAUNCHER, str(args.echo_app), api_url, str(echo_port)]
                    theirs.append(run("echo example", argv, env, echo_port, "/callback", args, tmp))
            if args.rounds > 1:
                for name, figures in (("supportbot", ours), ("echo example", theirs)):
                    if figures:
                        rate, p99 = (statistics.median(column) for column in zip(*figures, strict=True))
                        print(f"{name}, median of {args.rounds}: {rate:,.0f} events/s answered, ack p99 {p99:.1f} ms")
            if theirs:
                rate_ratio = statistics.median(
                    ours_[0] / theirs_[0] for ours_, theirs_ in zip(ours, theirs, strict=True)
                )
                p99_ratio = statistics.median(
                    ours_[1] / theirs_[1] for ours_, theirs_ in zip(ours, theirs, strict=True)
                )
                print(
                    f"supportbot / echo example: {rate_ratio:.2f}x the answered events/s, {p99_ratio:.2f}x the ack p99"
                    + (f" (median of {args.rounds} paired rounds)" if args.rounds > 1 else "")
                )
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


if __name__ == "__main__":
    main()
