"""Platform webhooks are answered once their messages are safe; handling follows beside them.

Meta redelivers a webhook that was not answered with 200 in time, for up to seven days,
and wants its answer fast. So a platform channel hands its messages to :class:`Intake`:
``accept`` seals each message whole (it holds raw text and the sender's id: never
readable at rest) into the inbox and returns; the webhook answers 200. ``run`` takes
them out again, oldest first, hands each to the runtime (which de-duplicates, anonymises
and stores what is kept) and deletes it. One person's messages are handled in order,
different people's side by side. A message whose handling fails is tried again later
with a growing pause; after many failures it stays in the inbox as dead for an operator,
and is never silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from bot import fastjson
from bot.channels.base import DeliveryStatus, InboundSink
from bot.messages import (
    InboundMessage,
    InboundRecord,
    OutboundMessage,
    inbound_from_record,
    inbound_record,
)
from bot.stores.sql.inbox import Inbox, InboxItem, InboxRow
from moderation.pseudonyms import Pseudonymiser
from moderation.sealing import AddressSealer

__all__ = ["Intake", "decode_inbound", "encode_inbound"]

log = logging.getLogger(__name__)

#: How long a claimed message is this process's before another may take it.
LEASE = timedelta(seconds=60)
#: Messages taken out in one go (one per person), and how many are handled at the same
#: time: few, because the webhook's answers share the event loop with this work and must
#: stay fast (Meta redelivers what is not answered in time); a burst waits in the inbox.
BATCH = 64
AT_ONCE = 8
#: While webhooks bring more than this many messages per second, their answers come
#: first: the inbox is emptied at a trickle, one message per :data:`BUSY_PAUSE`, and
#: catches up when the burst ends. (Handling a message and sending its reply costs a
#: hundred times what accepting it does, about 3 ms of the loop: ten a second take 3 %
#: of it, fifty took a sixth, measured, which the webhooks' answers then lacked.)
BUSY_PER_SECOND = 400
BUSY_PAUSE = 0.1
_BUSY_WINDOW = 0.25
#: After this many failed attempts a message is kept as dead (about a day of retries).
MAX_ATTEMPTS = 30


def _utcnow() -> datetime:
    return datetime.now(UTC)


def encode_inbound(message: InboundMessage) -> str:
    return fastjson.dumps(inbound_record(message))


def decode_inbound(raw: str) -> InboundMessage:
    return inbound_from_record(fastjson.loads(raw))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2 ** min(attempts, 12)))


class Intake:
    """The :class:`WebhookSink` for platform channels, and the loop that empties the inbox."""

    def __init__(
        self,
        inbox: Inbox,
        runtime: InboundSink,
        pseudonymiser: Pseudonymiser,
        sealer: AddressSealer,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._inbox = inbox
        self._runtime = runtime
        self._pseudo = pseudonymiser
        self._sealer = sealer
        self._clock = clock
        self._wake = asyncio.Event()
        self._trickle = asyncio.Lock()
        self.handled = 0
        # Messages accepted in the current short window (loop time): the webhooks' load.
        self._window_start = 0.0
        self._window_count = 0

    # --- the sink contract -------------------------------------------------------------------

    async def accept(self, message: InboundMessage) -> Sequence[OutboundMessage]:
        """Durably in the inbox when this returns (replies follow through the outbox)."""
        await self.accept_all((inbound_record(message),))
        return []

    async def accept_all(self, messages: Sequence[InboundRecord]) -> None:
        """One webhook's messages, sealed together and kept with one write, in their order
        (so each person's messages are handled in the order they came). Pseudonyms and
        the seal of each message follow when the envelope is unpacked, after the answer."""
        if not messages:
            return
        sealed = self._sealer.seal(fastjson.dumps(messages))
        await self._inbox.keep(sealed, len(messages), self._clock())
        self._count_accepted(len(messages))
        self._wake.set()

    def _open_envelope(self, sealed: str) -> list[InboxItem]:
        """An envelope's messages as inbox items: each keyed, pseudonymised, sealed alone."""
        items = []
        for record in fastjson.loads(self._sealer.open(sealed)):
            m = inbound_from_record(record)  # a malformed one makes the envelope dead, kept
            items.append(InboxItem(
                idempotency_key=hashlib.sha256(f"{m.channel}\x00{m.message_id}".encode()).hexdigest(),
                pseudonym=self._pseudo.pseudonym(m.channel, m.channel_user_id),
                channel=m.channel,
                sealed=self._sealer.seal(fastjson.dumps(record)),
            ))
        return items

    def _count_accepted(self, count: int) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._window_start > _BUSY_WINDOW:
            self._window_start, self._window_count = now, 0
        self._window_count += count

    def busy(self) -> bool:
        """Webhooks are arriving faster than :data:`BUSY_PER_SECOND` messages per second."""
        recent = asyncio.get_running_loop().time() - self._window_start <= _BUSY_WINDOW
        return recent and self._window_count > BUSY_PER_SECOND * _BUSY_WINDOW

    async def status(self, update: DeliveryStatus) -> None:
        await self._runtime.status(update)

    # --- emptying the inbox ------------------------------------------------------------------

    async def run(self, idle: float = 1.0) -> None:
        """Hand messages to the runtime until cancelled; wakes on new ones, else every ``idle`` s."""
        while True:
            try:
                handled = await self.drain_once()
            except Exception as exc:  # the store may be away for a moment: keep going
                log.error("inbox: %s", type(exc).__name__)
                handled = 0
            if not handled:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)

    async def drain_once(self) -> int:
        """Unpack, claim and handle one batch; how many messages were taken out (0: nothing
        to do).

        The claim holds at most one message per person (a newer one waits until the older
        is handled), so the batch's messages can all be handled side by side.
        """
        busy = self.busy()
        want = 1 if busy else BATCH
        unpacked = await self._inbox.unpack(self._open_envelope, want)
        if unpacked.dead:
            log.error("inbox: %d webhook envelope(s) could not be opened; kept as dead", unpacked.dead)
        rows = await self._inbox.claim(self._clock(), want, LEASE)
        if not rows:
            return unpacked.envelopes  # repeats only: go on with the next envelopes
        limit = asyncio.Semaphore(AT_ONCE)

        async def one(row: InboxRow) -> bool:
            async with limit:
                if not self.busy():
                    return await self._handle(row)
                # A burst began (perhaps while this batch was under way): a trickle.
                async with self._trickle:
                    ok = await self._handle(row)
                    await asyncio.sleep(BUSY_PAUSE)
                    return ok

        handled = await asyncio.gather(*(one(row) for row in rows))
        await self._inbox.done([row.id for row, ok in zip(rows, handled, strict=True) if ok])
        return len(rows)

    async def drain(self) -> int:
        """Handle everything due (tests and one-shot commands)."""
        total = 0
        while n := await self.drain_once():
            total += n
        return total

    async def _handle(self, row: InboxRow) -> bool:
        """Hand one message to the runtime; False (and a later retry) when that failed."""
        try:
            await self._runtime.accept(decode_inbound(self._sealer.open(row.sealed)))
        except Exception as exc:
            # Only the type: a store error may echo the raw text it failed to write.
            dead = row.attempts >= MAX_ATTEMPTS
            log.error("inbox message %d not handled (attempt %d, %s)%s", row.id, row.attempts,
                      type(exc).__name__, "; kept as dead" if dead else "; retried later")
            await self._inbox.postpone(row, self._clock() + _backoff(row.attempts), type(exc).__name__,
                                       dead=dead)
            return False
        self.handled += 1
        return True
