"""Telegram sending benchmark: the real outbox, worker and sender against Telegram's limits.

    .venv/bin/python bench/telegram_send.py [--quick] [--messages N] [--chats C] [--timeout S]

What runs: N outbound messages to C private chats (default 10,000 to 2,000; ``--quick``:
1,000 to 200) are queued in the SQL outbox on SQLite, each chat's messages together and the
chats in random order, as a backlog of replies and prompts would stand. The real
``OutboxWorker`` drains it through the one Telegram ``Sender`` (pacer, sealed addresses) and
the ``TelegramChannel`` (python-telegram-bot), against the Bot API stand-in from
``tests/support`` enforcing Telegram's published limits: 30 messages/s overall and 1/s per
chat (no bursts). Every address is 127.0.0.1; nothing leaves the machine.

Printed: the achieved send rate as a ratio of the allowed rate (goal >= 0.95), the limit
violations the stand-in recorded (goal 0), whether each message arrived exactly once, and
peak memory of Praatmee's side (Python heap via tracemalloc, and the process's peak RSS;
the stand-in runs in a child process of its own). Exits 1 when a goal is missed or the run overruns
``--timeout`` (default: twice the ideal duration plus a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.channels.base import DeliveryStatus
from bot.channels.telegram import TelegramChannel, TelegramSettings
from bot.delivery.payload import encode
from bot.delivery.sender import Sender
from bot.delivery.worker import OutboxWorker
from bot.messages import Choice, Expect, InboundMessage, OutboundMessage
from bot.stores.sql import Database, InsightStore, Outbox, OutboxItem
from moderation.sealing import AddressSealer
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_updates import Chat

OVERALL_PER_SECOND = 30.0
PER_CHAT_PER_SECOND = 1.0
FIRST_CHAT = 6_100_000_000
GOAL_RATIO = 0.95


class NoInbound:
    """The benchmark only sends; nothing arrives."""

    async def accept(self, message: InboundMessage) -> list[OutboundMessage]:
        raise AssertionError("no inbound traffic in this benchmark")

    async def status(self, update: DeliveryStatus) -> None:
        raise AssertionError("no inbound traffic in this benchmark")


def feed(messages: int, chats: int, sealer: AddressSealer, seed: int) -> list[OutboxItem]:
    """Each chat's messages queued together, chats shuffled; every other one has buttons."""
    rng = random.Random(seed)
    order = list(range(chats))
    rng.shuffle(order)
    now = datetime.now(UTC)
    items: list[OutboxItem] = []
    for n in range(messages):
        chat = order[n * chats // messages]
        text = f"Bericht {n}: hoe vind jij het in je buurt? Kies hieronder."
        choices = (Choice(f"{n}.ja", "Ja"), Choice(f"{n}.soms", "Soms"), Choice(f"{n}.nee", "Nee"))
        message = (OutboundMessage(text, choices, Expect.CHOICE) if n % 2
                   else OutboundMessage(text))
        items.append(OutboxItem(
            idempotency_key=f"bench-{n:06d}", channel="telegram",
            address_enc=sealer.seal(str(FIRST_CHAT + chat)), payload=encode(message),
            due_at=now, pseudonym=f"{chat:064x}"))
    return items


def stand_in(chats: int, conn: Connection) -> None:
    """Child process: the Bot API stand-in, so Praatmee's memory and CPU are its own."""

    async def serve() -> None:
        async with FakeTelegram(enforce_limits=True, chat_burst=1) as fake:
            for chat in range(chats):
                fake.add_chat(Chat(id=FIRST_CHAT + chat))
            conn.send((fake.token, fake.base_url))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
            sends = [(c.params.get("text", "").split(":", 1)[0], c.status, c.at)
                     for c in fake.calls if c.method == "sendmessage"]
            conn.send((sends, dict(fake.violations)))

    asyncio.run(serve())


async def run(messages: int, chats: int, timeout: float, seed: int, token: str,
              base_url: str) -> tuple[bool, float, OutboxWorker]:
    """Queue the feed and drain it; (finished in time, wall seconds, worker)."""
    with tempfile.TemporaryDirectory(prefix="praatmee-bench-") as tmp:
        db = await Database.open(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        outbox = Outbox(db)
        sealer = AddressSealer([AddressSealer.new_key()])
        settings = TelegramSettings(
            token=token, mode="webhook", secret="bench_secret",
            webhook_url="http://127.0.0.1:9/webhooks/telegram", api_base_url=base_url)
        async with TelegramChannel(settings, NoInbound()) as channel:
            await outbox.enqueue(feed(messages, chats, sealer, seed), datetime.now(UTC))
            worker = OutboxWorker(outbox, {"telegram": Sender(channel, sealer)}, InsightStore(db))
            started = time.monotonic()
            task = asyncio.create_task(worker.run())
            finished = True
            while await outbox.pending():
                if time.monotonic() - started > timeout:
                    finished = False
                    break
                await asyncio.sleep(0.25)
            wall = time.monotonic() - started
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await db.close()
    return finished, wall, worker


def report(messages: int, chats: int, seed: int, finished: bool, wall: float,
           worker: OutboxWorker, sends: list[tuple[str, int, float]],
           violations: dict[str, int], timeout: float) -> int:
    allowed = min(OVERALL_PER_SECOND, chats * PER_CHAT_PER_SECOND)
    ok = sorted(at for _, status, at in sends if status == 200)
    arrived = Counter(label for label, status, _ in sends if status == 200)
    exactly_once = len(arrived) == messages and set(arrived.values()) == {1}
    span = ok[-1] - ok[0] if len(ok) > 1 else 0.0
    rate = (len(ok) - 1) / span if span > 0 else 0.0
    ratio = rate / allowed
    broken = sum(violations.values())
    _, heap_peak = tracemalloc.get_traced_memory()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    print(f"messages            {messages} to {chats} chats (seed {seed})")
    print(f"allowed rate        {allowed:.1f}/s (30/s overall, 1/s per chat)")
    print(f"achieved rate       {rate:.2f}/s over {span:.1f} s of sending ({wall:.1f} s wall)")
    print(f"ratio to allowed    {ratio:.3f}  (goal >= {GOAL_RATIO})")
    print(f"limit violations    {broken}  (goal 0) {violations}")
    print(f"sendMessage calls   {len(sends)} ({len(sends) - len(ok)} refused)")
    print(f"exactly once        {'yes' if exactly_once else 'NO'} "
          f"(delivered {worker.delivered}, failed {worker.failed})")
    print(f"peak memory         {heap_peak / 2**20:.1f} MiB Python heap, {rss_peak:.0f} MiB RSS "
          "(Praatmee's process; the stand-in runs in its own)")
    if not finished:
        print(f"TIMED OUT after {timeout:.0f} s", file=sys.stderr)
    good = finished and exactly_once and broken == 0 and ratio >= GOAL_RATIO
    return 0 if good else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 messages to 200 chats")
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--chats", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None, help="seconds (default: 2x ideal + 60)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    messages = args.messages or (1_000 if args.quick else 10_000)
    chats = args.chats or max(1, messages // 5)
    if messages < 2 or chats < 1:
        parser.error("need at least 2 messages and 1 chat")
    ideal = messages / min(OVERALL_PER_SECOND, chats * PER_CHAT_PER_SECOND)
    timeout = args.timeout or 2 * ideal + 60
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=stand_in, args=(chats, child),
                                                          daemon=True)
    server.start()
    try:
        token, base_url = parent.recv()
        tracemalloc.start()
        finished, wall, worker = asyncio.run(
            run(messages, chats, timeout, args.seed, token, base_url))
        parent.send("stop")
        sends, violations = parent.recv()
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.kill()
    return report(messages, chats, args.seed, finished, wall, worker, sends, violations, timeout)


if __name__ == "__main__":
    raise SystemExit(main())
