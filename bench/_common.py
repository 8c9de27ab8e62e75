"""Shared helpers for the benchmarks: servers in their own process, peak memory, percentiles.

A benchmark compares Praatmee with an anchor measured in the same run, so the figures mean
something on any machine. Servers run in a child process of their own: the load generator
does not share their event loop, and their peak memory is theirs alone.

    .venv/bin/python bench/_common.py anchor --body '{"messages": []}'

starts the bare anchor: an aiohttp server whose ``POST /api/webchat/messages`` reads the body
and answers fixed JSON without doing any work. Any server started with :func:`start_server`
prints ``LISTENING <port>`` once it accepts connections and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

__all__ = [
    "ROOT",
    "Latency",
    "ServerProcess",
    "bare_app",
    "percentile",
    "serve_forever",
    "start_server",
    "summarise",
]

ROOT = Path(__file__).resolve().parents[1]
READY = "LISTENING"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Latency:
    """Messages handled in a phase: how many, how fast, and reply latency in milliseconds."""

    messages: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else math.nan


def summarise(latencies: Sequence[float], seconds: float, errors: int = 0) -> Latency:
    """``latencies`` in seconds, one per answered message, over a phase of ``seconds``."""
    return Latency(
        messages=len(latencies),
        seconds=seconds,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        errors=errors,
    )


# --- servers in a child process -------------------------------------------------------------


def _peak_from_proc(pid: int) -> int | None:
    """The kernel's high-water mark of resident memory (VmHWM), in bytes, where there is one."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class _RssSampler:
    """Samples resident memory with psutil where the kernel keeps no high-water mark."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.peak = 0
        self._pid = pid
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        try:
            proc = psutil.Process(self._pid)
            while not self._stop.is_set():
                self.peak = max(self.peak, proc.memory_info().rss)
                self._stop.wait(self._every)
        except psutil.Error:
            return

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


class ServerProcess:
    """A server running in a child process; ``stop()`` ends it and returns its peak RSS."""

    def __init__(self, proc: subprocess.Popen[str], port: int, log: Path) -> None:
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._sampler = None if _peak_from_proc(proc.pid) is not None else _RssSampler(proc.pid)
        self._final: int | None = None

    def peak_rss(self) -> int:
        """Peak resident memory so far, in bytes."""
        if self._final is not None:
            return self._final
        peak = _peak_from_proc(self.proc.pid)
        if peak is not None:
            return peak
        assert self._sampler is not None
        return self._sampler.peak

    def stop(self, timeout: float = 30) -> int:
        """End the server (SIGTERM, then SIGKILL); its peak RSS in bytes. Safe to call twice."""
        if self._final is not None:
            return self._final
        peak = self.peak_rss()
        if self._sampler is not None:
            peak = max(peak, self._sampler.stop())
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._final = peak
        return peak


def start_server(argv: Sequence[str], log: Path, *, env: dict[str, str] | None = None,
                 timeout: float = 120) -> ServerProcess:
    """Start ``argv`` (a Python script that calls :func:`serve_forever`) and wait until it listens."""
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
    err = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, *argv], stdout=subprocess.PIPE, stderr=err, text=True, env=child_env, cwd=ROOT
    )
    err.close()
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(READY):
            return ServerProcess(proc, int(line.split()[1]), log)
    proc.kill()
    proc.wait()
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    raise RuntimeError(f"server {' '.join(argv)} did not start; log {log}:\n{tail}")


async def serve_forever(app: web.Application, host: str = "127.0.0.1") -> None:
    """Serve ``app`` on a free port without an access log, print ``LISTENING <port>``, stop on SIGTERM.

    Like ``praatmee serve``: once open, what the service loaded is exempt from garbage collection.
    """
    from bot.process import settle_heap

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    settle_heap()
    site = web.TCPSite(runner, host, 0, backlog=4096)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"{READY} {port}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


# --- the bare anchor --------------------------------------------------------------------------


def bare_app(body: bytes, path: str = "/api/webchat/messages") -> web.Application:
    """An aiohttp app that reads each POSTed body and answers ``body`` as JSON, doing no work."""

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json", headers={"Cache-Control": "no-store"})

    app = web.Application()
    app.router.add_post(path, answer)
    return app


async def _pg(server_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def scratch_stores() -> AsyncIterator[list[str]]:
    """A PostgreSQL database and a Redis key prefix of the bench's own, as ``serve`` arguments.

    Both are removed afterwards, so a bench never touches another run's data.
    """
    pg = os.environ.get("PRAATMEE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("PRAATMEE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    db, prefix = f"praatmee_bench_{secrets.token_hex(4)}", f"praatmee-bench:{secrets.token_hex(4)}:"
    await _pg(pg, f'CREATE DATABASE "{db}"')
    base = pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield ["--database-url", f"{base}/{db}", "--redis-url", redis_url, "--redis-prefix", prefix]
    finally:
        await _pg(pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(redis_url)
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        for i in range(0, len(keys), 1000):
            await client.delete(*keys[i:i + 1000])
        await client.aclose()


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    anchor = sub.add_parser("anchor", help="serve the bare aiohttp endpoint")
    anchor.add_argument("--body", required=True, help="the JSON every POST is answered with")
    anchor.add_argument("--path", default="/api/webchat/messages")
    args = parser.parse_args(argv)
    from bot.process import run_service  # the loop Praatmee serves on, for a fair anchor

    with contextlib.suppress(KeyboardInterrupt):
        run_service(serve_forever(bare_app(args.body.encode(), args.path)))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
