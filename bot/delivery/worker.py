"""Drains the outbox: claims due rows and hands each to its platform's sender.

Messages to one recipient go strictly in order (a retry holds back the ones
behind it); different recipients go concurrently, paced by each platform's
sender. Conversational replies are flushed right after the inbound message was
handled; everything else (prompts, feedback, retries) is picked up by ``run``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from bot.delivery.sender import Delivered, Failed, Held, Retry, Sender
from bot.keyed_locks import KeyedLocks
from bot.stores.sql.insights import InsightStore
from bot.stores.sql.outbox import BULK, Outbox, OutboxRow

__all__ = ["OutboxWorker"]

log = logging.getLogger(__name__)

HELD_RECHECK = timedelta(hours=6)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxWorker:
    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        insights: InsightStore,
        *,
        clock: Callable[[], datetime] = _utcnow,
        batch: int = 200,
        lease: timedelta = timedelta(seconds=120),
        concurrency: int = 100,
    ) -> None:
        self._outbox = outbox
        self._senders = dict(senders)
        self._insights = insights
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._limit = asyncio.Semaphore(concurrency)
        self._recipients = KeyedLocks()
        self._wake = asyncio.Event()
        self.delivered = 0
        self.failed = 0
        self.held = 0
        #: Pushes not sent because the participant stopped or became unreachable.
        self.dropped = 0

    def add_sender(self, channel: str, sender: Sender) -> None:
        """Register a channel's sender (channels start after the worker exists)."""
        self._senders[channel] = sender

    def wake(self) -> None:
        """Something new is due: stop sleeping."""
        self._wake.set()

    async def flush(self, keys: Sequence[str], *, released_for: str | None = None) -> int:
        """Deliver these rows now (the replies to the message just handled), then the
        messages that message released from holding, if any."""
        if not keys and released_for is None:
            return 0
        limit = len(keys) + (self._batch if released_for is not None else 0)
        rows = await self._outbox.claim(self._clock(), limit, self._lease, keys=keys,
                                        released_for=released_for)
        await self._deliver_all(rows)
        return len(rows)

    async def drain_once(self) -> int:
        """Claim and deliver one batch of due rows; the number claimed."""
        rows = await self._outbox.claim(self._clock(), self._batch, self._lease)
        await self._deliver_all(rows)
        return len(rows)

    async def drain(self) -> int:
        """Deliver until nothing is due (tests and one-shot commands)."""
        total = 0
        while n := await self.drain_once():
            total += n
        return total

    async def run(self) -> None:
        """Deliver for ever; cancel the task to stop."""
        while True:
            try:
                claimed = await self.drain_once()
            except Exception:
                log.exception("outbox worker: delivery round failed; retrying in 2 s")
                await asyncio.sleep(2)
                continue
            if claimed:
                continue
            self._wake.clear()
            wait = 5.0
            next_due = await self._outbox.next_due()
            if next_due is not None:
                wait = min(wait, max(0.0, (next_due - self._clock()).total_seconds()))
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.05, wait))
            except TimeoutError:
                pass

    async def _deliver_all(self, rows: list[OutboxRow]) -> None:
        if not rows:
            return
        chains: dict[str, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            chains[row.pseudonym or row.address_enc].append(row)
        await asyncio.gather(*(self._chain(chain) for chain in chains.values()))

    async def _chain(self, rows: list[OutboxRow]) -> None:
        # One chain per recipient at a time, also across the run loop and a flush that
        # claimed in separate batches, so one person's messages never overtake each other.
        key = rows[0].pseudonym or rows[0].address_enc
        async with self._recipients.hold(key, self._lease.total_seconds()), self._limit:
            for i, row in enumerate(rows):
                if not await self._deliver(row):
                    # Keep the order: everything behind a stuck message waits too.
                    for later in rows[i + 1 :]:
                        await self._outbox.retry(later, self._clock() + timedelta(seconds=1), "behind")
                    return

    async def _may_push(self, pseudonym: str) -> bool:
        """False after "stop", a block or an erasure (``mark_unreachable`` clears ``active``
        too); "start" sets it again."""
        participant = await self._insights.participant(pseudonym)
        return participant is not None and participant.active

    async def _deliver(self, row: OutboxRow) -> bool:
        sender = self._senders.get(row.channel)
        now = self._clock()
        if sender is None:
            await self._outbox.retry(row, now + timedelta(minutes=5), f"channel {row.channel} not running")
            return False
        if row.priority >= BULK and row.pseudonym and not await self._may_push(row.pseudonym):
            # Stopped, blocked us or erased: nothing unasked-for goes out any more.
            self.dropped += await self._outbox.drop_pending(row.pseudonym)
            log.info("outbox: push dropped, the participant stopped or cannot be reached")
            return False
        outcome = await sender.deliver(row)
        now = self._clock()
        if isinstance(outcome, Delivered):
            await self._outbox.delivered(row, outcome.platform_message_id, now,
                                         confirm=sender.channel.reports_failures_later)
            self.delivered += 1
            return True
        if isinstance(outcome, Retry):
            await self._outbox.retry(row, now + outcome.after, outcome.reason)
            return False
        if isinstance(outcome, Held):
            self.held += 1
            log.info("outbox: message held for the 24-hour window (%s)", row.channel)
            await self._outbox.hold(row, now + HELD_RECHECK, outcome.reason)
            return False
        assert isinstance(outcome, Failed)
        self.failed += 1
        await self._outbox.failed(row, outcome.reason, now, outcome.code)
        if outcome.unreachable and row.pseudonym:
            await self._insights.mark_unreachable(row.pseudonym)
            await self._outbox.drop_pending(row.pseudonym)
        return False
