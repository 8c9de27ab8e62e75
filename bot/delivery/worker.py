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
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.channels.base import Channel
from bot.delivery.sender import Delivered, Failed, Held, Retry, Sender
from bot.keyed_locks import KeyedLocks
from bot.stores.sql.insights import InsightStore, Participant
from bot.stores.sql.outbox import BULK, Outbox, OutboxRow

__all__ = ["OutboxWorker"]

log = logging.getLogger(__name__)

HELD_RECHECK = timedelta(hours=6)
#: A push goes as its template this long before the participant's service window closes:
#: their last message was handled a moment after they sent it, and the send takes time.
WINDOW_MARGIN = timedelta(minutes=10)


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
        #: Pushes sent as their template because the window was closed.
        self.templated = 0
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

    def counts(self) -> dict[str, int]:
        """What became of the messages this process sent (for ``/healthz``)."""
        return {"delivered": self.delivered, "as_template": self.templated, "held": self.held,
                "failed": self.failed, "dropped": self.dropped}

    async def _deliver(self, row: OutboxRow) -> bool:
        sender = self._senders.get(row.channel)
        now = self._clock()
        if sender is None:
            await self._outbox.retry(row, now + timedelta(minutes=5), f"channel {row.channel} not running")
            return False
        if row.priority >= BULK and row.pseudonym:
            participant = await self._insights.participant(row.pseudonym)
            if participant is None or not participant.active:
                # Stopped ("start" sets it again), blocked us (``mark_unreachable`` clears
                # ``active`` too) or erased: nothing unasked-for goes out any more.
                self.dropped += await self._outbox.drop_pending(row.pseudonym)
                log.info("outbox: push dropped, the participant stopped or cannot be reached")
                return False
            if not row.via_template and _window_closed(sender.channel, participant, now):
                row = replace(row, via_template=True)
        outcome = await sender.deliver(row)
        now = self._clock()
        if isinstance(outcome, Delivered):
            await self._outbox.delivered(row, outcome.platform_message_id, now,
                                         confirm=sender.channel.reports_failures_later)
            self.delivered += 1
            if outcome.template:
                self.templated += 1
                log.info("outbox: sent as its template, outside the 24-hour window (%s)", row.channel)
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


def _window_closed(channel: Channel, participant: Participant, now: datetime) -> bool:
    """The channel's service window for this participant is (nearly) over.

    Unknown (no message on record) counts as open: the platform's refusal decides then.
    """
    window, last = channel.service_window, participant.last_inbound_at
    return window is not None and last is not None and now - last >= window - WINDOW_MARGIN
