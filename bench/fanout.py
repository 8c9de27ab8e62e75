"""Fan-out benchmark: one coach prompt to a 100,000-member group, through the one Telegram sender.

    .venv/bin/python bench/fanout.py [--quick] [--members N] [--deliver-seconds S]

What runs, all on 127.0.0.1 and SQLite in a temporary folder:

1. N members (default 100,000; ``--quick``: 3,000) with sealed Telegram chat ids join a group.
2. Enqueue: ``Fanout.run`` applies the fatigue policy and writes one BULK outbox row per member in
   batches (timed; the process's resident memory is sampled all along, so a growing heap shows).
3. Deliver: the real ``OutboxWorker`` → Telegram ``Sender`` (pacer) → ``TelegramChannel`` (PTB)
   → the Bot API stand-in from ``tests/support`` in a child process, enforcing Telegram's limits
   (30 messages/s overall, 1/s per chat). Meanwhile, every 2 s, a conversational reply to a
   participant "in a dialogue" is flushed as the runtime does, and its wait is measured.

At 30/s, 100,000 messages take 56 minutes, so delivery is bounded: it runs ``--deliver-seconds``
(default 300; ``--quick`` 60; 0 = until every member has it) and the rate is measured over that
window, in steady state. Printed: time to enqueue, achieved rate as a ratio of Telegram's bulk
limit (goal >= 0.95), violations (goal 0), copies per member (goal: none twice), peak RSS
(goal < 300 MB, flat: the RSS after 10% and after 100% of the enqueue are shown), and the
conversational replies' waits. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from sqlalchemy import Connection as DbConnection
from sqlalchemy import insert

from bot.channels.base import DeliveryStatus
from bot.channels.telegram import TelegramChannel, TelegramSettings
from bot.delivery.payload import encode
from bot.delivery.sender import Sender
from bot.delivery.worker import OutboxWorker
from bot.groups import Fanout, FatiguePolicy, GroupStore, Prompt, PromptStatus
from bot.messages import InboundMessage, OutboundMessage
from bot.stores.sql import Database, InsightStore, Outbox, OutboxItem
from bot.stores.sql.tables import addresses, participants
from bot.stores.sql.tables_groups import group_members
from moderation.sealing import AddressSealer
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_updates import Chat

BULK_LIMIT = 30.0  # Telegram's bulk notifications, messages/s
FIRST_CHAT = 7_700_000_000
PROBE_CHAT = 7_600_000_000
GOAL_RATIO = 0.95
GOAL_RSS_MB = 300.0


class NoInbound:
    async def accept(self, message: InboundMessage) -> list[OutboundMessage]:
        raise AssertionError("no inbound traffic in this benchmark")

    async def status(self, update: DeliveryStatus) -> None:
        raise AssertionError("no inbound traffic in this benchmark")


def stand_in(members: int, probes: int, conn: Connection) -> None:
    """Child process: the Bot API stand-in, so Praatmee's memory and CPU are its own."""

    async def serve() -> None:
        async with FakeTelegram(enforce_limits=True, chat_burst=1) as fake:
            for chat in range(members):
                fake.add_chat(Chat(id=FIRST_CHAT + chat))
            for chat in range(probes):
                fake.add_chat(Chat(id=PROBE_CHAT + chat))
            conn.send((fake.token, fake.base_url))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
            sends = [(int(c.params["chat_id"]), c.status, c.at) for c in fake.calls if c.method == "sendmessage"]
            conn.send((sends, dict(fake.violations)))

    asyncio.run(serve())


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def seed(db: Database, sealer: AddressSealer, members: int, group_id: str) -> None:
    now = datetime.now(UTC)
    for start in range(0, members, 5_000):
        ids = range(start, min(members, start + 5_000))
        people = [{"pseudonym": f"{i:064x}", "municipality": "velsen", "lang": "nl", "channel": "telegram",
                   "active": True, "unreachable": False, "created_at": now} for i in ids]
        sealed = [{"pseudonym": f"{i:064x}", "channel": "telegram", "address_enc": sealer.seal(str(FIRST_CHAT + i)),
                   "updated_at": now} for i in ids]
        joined = [{"group_id": group_id, "pseudonym": f"{i:064x}", "joined_at": now} for i in ids]
        await db.run(partial(_insert_seed, people=people, sealed=sealed, joined=joined))


def _insert_seed(conn: DbConnection, *, people: list[dict[str, object]], sealed: list[dict[str, object]],
                 joined: list[dict[str, object]]) -> None:
    conn.execute(insert(participants), people)
    conn.execute(insert(addresses), sealed)
    conn.execute(insert(group_members), joined)


async def run(args: argparse.Namespace, token: str, base_url: str) -> dict[str, object]:
    figures: dict[str, object] = {}
    samples: list[float] = [rss_mb()]
    with tempfile.TemporaryDirectory(prefix="praatmee-fanout-") as tmp:
        db = await Database.open(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        sealer = AddressSealer([AddressSealer.new_key()])
        store, outbox = GroupStore(db), Outbox(db)
        group = await store.create_group("velsen", "jeugd", "Bench", datetime.now(UTC))
        await seed(db, sealer, args.members, group.group_id)
        samples.append(rss_mb())
        now = datetime.now(UTC).replace(hour=10, minute=0)  # daytime: no quiet hours in the way
        prompt = Prompt("pbench0000001", group.group_id, "c" * 64, "velsen", "jeugd",
                        "Waar wil jij deze zomer heen?", ("Strand", "Skatepark", "Bios"),
                        PromptStatus.QUEUED, now, now)
        await store.add_prompt(prompt)
        marks: dict[str, float] = {}
        fanout = Fanout(store, FatiguePolicy(), rates={"telegram": BULK_LIMIT})
        done_batches = 0

        def sample() -> None:
            nonlocal done_batches
            done_batches += 1
            samples.append(rss_mb())
            if done_batches * fanout.batch >= args.members // 10 and "tenth" not in marks:
                marks["tenth"] = samples[-1]
        started = time.monotonic()
        fanout.on_batch = sample
        report = await fanout.run(prompt.prompt_id, now)
        figures["enqueue_s"] = time.monotonic() - started
        figures["queued"] = report.queued
        figures["rss_tenth"] = marks.get("tenth", samples[-1])
        figures["rss_enqueued"] = rss_mb()

        settings = TelegramSettings(token=token, mode="webhook", secret="bench_secret",
                                    webhook_url="http://127.0.0.1:9/webhooks/telegram", api_base_url=base_url)
        async with TelegramChannel(settings, NoInbound()) as channel:
            # The fan-out was timed from ``now``; the worker runs on a clock shifted to it.
            shift = datetime.now(UTC) - now
            worker = OutboxWorker(outbox, {"telegram": Sender(channel, sealer)}, InsightStore(db),
                                  clock=lambda: datetime.now(UTC) - shift)
            task = asyncio.create_task(worker.run())
            began = time.monotonic()
            waits: list[float] = []
            probe = 0
            while True:
                await asyncio.sleep(2.0)
                samples.append(rss_mb())
                elapsed = time.monotonic() - began
                if args.deliver_seconds and elapsed > args.deliver_seconds:
                    break
                if worker.delivered >= args.members:
                    break
                key = f"probe-{probe}"
                reply = OutboxItem(key, "telegram", sealer.seal(str(PROBE_CHAT + probe)),
                                   encode(OutboundMessage("Top, volgende vraag!")), datetime.now(UTC) - shift,
                                   f"{10**9 + probe:064x}")
                await outbox.enqueue([reply], datetime.now(UTC) - shift)
                t0 = time.monotonic()
                await worker.flush([key])
                waits.append(time.monotonic() - t0)
                probe += 1
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        figures["probes"] = probe
        figures["waits"] = waits
        figures["delivered"] = worker.delivered
        await db.close()
    figures["rss_peak"] = max(samples)
    figures["rss_max_kernel"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 members, 60 s of delivery")
    parser.add_argument("--members", type=int)
    parser.add_argument("--deliver-seconds", type=float, help="delivery window (0: until all have it)")
    args = parser.parse_args(argv)
    args.members = args.members or (3_000 if args.quick else 100_000)
    if args.deliver_seconds is None:
        args.deliver_seconds = 60.0 if args.quick else 300.0
    probes = 10_000
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=stand_in, args=(args.members, probes, child),
                                                          daemon=True)
    server.start()
    try:
        token, base_url = parent.recv()
        figures = asyncio.run(run(args, token, base_url))
        parent.send("stop")
        sends, violations = parent.recv()
    finally:
        server.join(timeout=30)
        if server.is_alive():
            server.kill()
    ok = sorted(at for chat, status, at in sends if status == 200 and chat >= FIRST_CHAT)
    copies = Counter(chat for chat, status, _ in sends if status == 200 and chat >= FIRST_CHAT)
    total_ok = sorted(at for _, status, at in sends if status == 200)
    span = total_ok[-1] - total_ok[0] if len(total_ok) > 1 else 0.0
    rate = (len(total_ok) - 1) / span if span else 0.0
    ratio = rate / BULK_LIMIT
    broken = sum(violations.values())
    waits = sorted(figures["waits"])  # type: ignore[arg-type]
    twice = sum(1 for n in copies.values() if n > 1)
    print(f"members             {args.members}")
    print(f"enqueue             {figures['enqueue_s']:.1f} s for {figures['queued']} outbox rows "
          f"({args.members / figures['enqueue_s']:.0f} members/s)")  # type: ignore[operator]
    print(f"delivered           {len(ok)} prompts + {figures['probes']} replies in {span:.1f} s "
          f"(window {args.deliver_seconds or 'unbounded'} s)")
    print(f"achieved rate       {rate:.2f}/s = {ratio:.3f} of Telegram's bulk limit (goal >= {GOAL_RATIO})")
    print(f"limit violations    {broken} {violations} (goal 0)")
    print(f"copies              {twice} members got the prompt twice (goal 0)")
    if waits:
        print(f"reply waits         median {waits[len(waits) // 2]:.2f} s, max {waits[-1]:.2f} s "
              f"({len(waits)} replies flushed during the fan-out)")
    print(f"memory (RSS)        {figures['rss_tenth']:.0f} MB after 10% enqueued, {figures['rss_enqueued']:.0f} MB "
          f"after 100%, peak {figures['rss_peak']:.0f} MB (goal < {GOAL_RSS_MB:.0f}, flat)")
    good = ratio >= GOAL_RATIO and broken == 0 and twice == 0 and figures["rss_peak"] < GOAL_RSS_MB  # type: ignore[operator]
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
