"""The outbox: every message the bot sends waits here until its sender delivers it.

Rows are idempotent by key (channel message id + turn + index), so handling the
same inbound message twice queues its replies once. ``due_at`` implements
quiet hours, fatigue deferral and retry backoff; ``priority`` lets
conversational replies go before bulk prompts. A claimed row carries a lease:
if the worker dies, the row becomes claimable again when the lease ends.
Delivered rows are deleted (their sealed address with them); the delivery log
keeps only pseudonym, platform message id and state. On a channel that reports
failures late (WhatsApp accepts a message outside its 24-hour window and refuses
it in a status webhook), a sent row stays as ``sent`` until a status settles it:
confirmed rows are deleted, a late window refusal puts the row back on the
template path, a late transient failure sends it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update

from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.database import Database
from bot.stores.sql.tables import delivery_log, outbox

__all__ = ["BULK", "CONVERSATIONAL", "AfterStatus", "Outbox", "OutboxItem", "OutboxRow", "StatusRecorded"]

CONVERSATIONAL = 0
BULK = 1
#: ``last_error`` of a row released from holding, and how long it waits for the flush
#: after the participant's message before any worker may take it: the reply to what
#: they said goes first, the released messages follow in the same chain.
RELEASED = "released"
RELEASE_GRACE = timedelta(seconds=10)
#: A late transient failure is sent again after this pause.
RESEND_AFTER = timedelta(seconds=30)


class AfterStatus(Enum):
    """What a platform's status report means for the sent row it names."""

    CONFIRMED = "confirmed"  # it got through (sent, delivered, read): forget the row
    VIA_TEMPLATE = "via_template"  # refused as outside the window: template or wait
    RESEND = "resend"  # a passing failure on the platform's side: send it again
    FAILED = "failed"  # refused for good: keep it as failed, address blanked

#: The columns of an :class:`OutboxRow`, in its order.
_ROW = (
    outbox.c.id, outbox.c.idempotency_key, outbox.c.channel, outbox.c.address_enc,
    outbox.c.payload, outbox.c.pseudonym, outbox.c.priority, outbox.c.attempts, outbox.c.due_at,
    outbox.c.via_template,
)
_DELETE = delete(outbox).where(outbox.c.id == bindparam("i"))
_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("i"))
    .values(status="sent", platform_message_id=bindparam("pmid"), due_at=bindparam("at"), lease_until=None,
            last_error=None)
)
#: One delivery log row; execute with every column's value (None where unknown).
_LOG = insert(delivery_log)
_RELEASE_HELD = (
    update(outbox)
    .where(outbox.c.pseudonym == bindparam("p"), outbox.c.status == "pending", outbox.c.last_error.like("held:%"))
    .values(due_at=bindparam("due"), last_error=RELEASED, via_template=False)
)
_SENT_ROW = and_(outbox.c.channel == bindparam("ch"), outbox.c.platform_message_id == bindparam("pmid"),
                 outbox.c.status == "sent")
_STATUS_PSEUDONYM = (
    select(delivery_log.c.pseudonym)
    .where(delivery_log.c.channel == bindparam("ch"), delivery_log.c.platform_message_id == bindparam("pmid"))
    .limit(1)
)
_AFTER_STATUS = {
    AfterStatus.CONFIRMED: delete(outbox).where(_SENT_ROW),
    AfterStatus.VIA_TEMPLATE: update(outbox).where(_SENT_ROW).values(
        status="pending", due_at=bindparam("due"), platform_message_id=None, via_template=True,
        last_error=bindparam("why")),
    AfterStatus.RESEND: update(outbox).where(_SENT_ROW).values(
        status="pending", due_at=bindparam("due"), platform_message_id=None, last_error=bindparam("why")),
    AfterStatus.FAILED: update(outbox).where(_SENT_ROW).values(
        status="failed", address_enc="", platform_message_id=None, last_error=bindparam("why")),
}
_FORGET_UNCONFIRMED = delete(outbox).where(outbox.c.status == "sent", outbox.c.due_at < bindparam("before"))


@dataclass(frozen=True, slots=True)
class OutboxItem:
    idempotency_key: str
    channel: str
    address_enc: str
    payload: str  # JSON of the OutboundMessage
    due_at: datetime
    pseudonym: str | None = None
    priority: int = CONVERSATIONAL


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    idempotency_key: str
    channel: str
    address_enc: str
    payload: str
    pseudonym: str | None
    priority: int
    attempts: int
    due_at: datetime
    #: The platform's window is closed for it: its template, or wait.
    via_template: bool = False


@dataclass(frozen=True, slots=True)
class StatusRecorded:
    """What recording a status did: whom the message went to, and whether a row is due again."""

    pseudonym: str | None
    due_again: bool = False
    #: Outbox rows the status settled (deleted or changed).
    changed: int = 0


class Outbox:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, items: list[OutboxItem], at: datetime) -> int:
        """Queue items; returns how many were new (known keys are skipped)."""
        if not items:
            return 0
        rows = [
            {
                "idempotency_key": i.idempotency_key,
                "pseudonym": i.pseudonym,
                "channel": i.channel,
                "address_enc": i.address_enc,
                "payload": i.payload,
                "priority": i.priority,
                "status": "pending",
                "due_at": i.due_at,
                "attempts": 0,
                "created_at": at,
            }
            for i in items
        ]
        stmt = insert_ignore(self._db.dialect, outbox).returning(outbox.c.id)
        return await self._db.run(lambda conn: len(conn.execute(stmt, rows).all()))

    async def claim(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        channel: str | None = None,
        pseudonym: str | None = None,
        keys: Sequence[str] | None = None,
        released_for: str | None = None,
        max_priority: int | None = None,
    ) -> list[OutboxRow]:
        """Take up to ``limit`` due rows, best first, leasing them to this worker.

        ``keys`` restricts the claim to those rows; ``released_for`` adds that
        participant's rows just released from holding, due or not yet.
        """
        due = or_(
            and_(outbox.c.status == "pending", outbox.c.due_at <= now),
            and_(outbox.c.status == "sending", outbox.c.lease_until < now),
        )
        conditions = [due]
        if channel is not None:
            conditions.append(outbox.c.channel == channel)
        if pseudonym is not None:
            conditions.append(outbox.c.pseudonym == pseudonym)
        if keys is not None:
            conditions.append(outbox.c.idempotency_key.in_(list(keys)))
        if max_priority is not None:
            conditions.append(outbox.c.priority <= max_priority)
        wanted = and_(*conditions)
        if released_for is not None:
            wanted = or_(wanted, and_(outbox.c.pseudonym == released_for, outbox.c.status == "pending",
                                      outbox.c.last_error == RELEASED))
        pick = (
            select(outbox.c.id)
            .where(wanted)
            .order_by(outbox.c.priority, outbox.c.due_at, outbox.c.id)
            .limit(limit)
        )
        if self._db.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        picked = pick.cte("picked")  # joined, not IN (subquery): see Inbox.claim
        stmt = (
            update(outbox)
            .where(outbox.c.id == picked.c.id)
            .values(status="sending", lease_until=now + lease, attempts=outbox.c.attempts + 1)
            .returning(*_ROW)
        )
        rows = await self._db.run(lambda conn: conn.execute(stmt).all())
        self._db.churned(outbox, len(rows))
        claimed = [OutboxRow(*r) for r in rows]
        return sorted(claimed, key=lambda r: (r.priority, r.due_at, r.id))

    async def delivered(self, row: OutboxRow, platform_message_id: str | None, at: datetime, *,
                        confirm: bool = False) -> None:
        """The platform took the message. With ``confirm`` (its failures come later, in
        status reports) the row stays as ``sent`` until :meth:`log_status` settles it."""
        log = {"pseudonym": row.pseudonym, "channel": row.channel,
               "platform_message_id": platform_message_id, "state": "sent", "at": at}
        keep = confirm and platform_message_id is not None

        def work(conn: Connection) -> None:
            if keep:
                conn.execute(_SENT, {"i": row.id, "pmid": platform_message_id, "at": at})
            else:
                conn.execute(_DELETE, {"i": row.id})
            conn.execute(_LOG, log)

        await self._db.run(work)
        self._db.churned(outbox, 1)

    async def retry(self, row: OutboxRow, due_at: datetime, error: str) -> None:
        """Give the row back, due again at ``due_at``."""
        stmt = (
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(status="pending", due_at=due_at, lease_until=None, last_error=error[:200])
        )
        await self._db.run(lambda conn: conn.execute(stmt))

    async def failed(self, row: OutboxRow, error: str, at: datetime, code: int | None = None) -> None:
        """Give up on the row: blank its address, keep it as failed, log it."""
        log = {"pseudonym": row.pseudonym, "channel": row.channel, "platform_message_id": None,
               "state": "failed", "error_code": code, "detail": error[:200], "at": at}

        def work(conn: Connection) -> None:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id)
                .values(status="failed", address_enc="", lease_until=None, last_error=error[:200])
            )
            conn.execute(_LOG, log)

        await self._db.run(work)

    async def hold(self, row: OutboxRow, due_at: datetime, reason: str) -> None:
        """Outside the window with no template: wait for the participant (looked at again
        at ``due_at``, still only as a template, until :meth:`release_held`)."""
        stmt = (
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(status="pending", due_at=due_at, lease_until=None, via_template=True,
                    last_error=("held: " + reason)[:200])
        )
        await self._db.run(lambda conn: conn.execute(stmt))

    async def release_held(self, pseudonym: str, now: datetime) -> int:
        """The participant wrote again (a new 24-hour window): held messages may go as they are.

        They are left for the flush of the reply (``claim(released_for=...)``), so they
        follow it; a worker takes them after :data:`RELEASE_GRACE` if no flush came.
        """
        params = {"p": pseudonym, "due": now + RELEASE_GRACE}
        return await self._db.run(lambda conn: conn.execute(_RELEASE_HELD, params).rowcount or 0)

    async def drop_pending(self, pseudonym: str) -> int:
        """Remove everything still queued for a participant (they stopped or blocked us)."""
        stmt = delete(outbox).where(outbox.c.pseudonym == pseudonym, outbox.c.status != "failed")
        return await self._db.run(lambda conn: conn.execute(stmt).rowcount or 0)

    async def log_status(
        self, channel: str, platform_message_id: str, state: str, at: datetime,
        error_code: int | None = None, *, then: AfterStatus = AfterStatus.CONFIRMED,
    ) -> StatusRecorded:
        """Record a platform status report and settle the sent row it names, if one waits."""
        ids = {"ch": channel, "pmid": platform_message_id}
        why = f"{state} later: {error_code}" if error_code is not None else f"{state} later"
        due = at + RESEND_AFTER if then is AfterStatus.RESEND else at

        def work(conn: Connection) -> StatusRecorded:
            pseudonym: str | None = conn.execute(_STATUS_PSEUDONYM, ids).scalar()
            conn.execute(_LOG, {"pseudonym": pseudonym, "channel": channel,
                                "platform_message_id": platform_message_id, "state": state,
                                "error_code": error_code, "detail": None, "at": at})
            changed = conn.execute(_AFTER_STATUS[then], {**ids, "due": due, "why": why}).rowcount or 0
            due_again = changed > 0 and then in (AfterStatus.VIA_TEMPLATE, AfterStatus.RESEND)
            return StatusRecorded(pseudonym, due_again, changed)

        recorded = await self._db.run(work)
        self._db.churned(outbox, recorded.changed)
        return recorded

    async def forget_unconfirmed(self, before: datetime) -> int:
        """Sent rows whose status never came (webhooks lost or not subscribed): let go."""
        params = {"before": before}
        return await self._db.run(lambda conn: conn.execute(_FORGET_UNCONFIRMED, params).rowcount or 0)

    async def pending(self) -> int:
        """Messages still to be sent (not those sent and waiting for confirmation)."""
        stmt = select(func.count()).select_from(outbox).where(outbox.c.status.in_(("pending", "sending")))
        return await self._db.run(lambda conn: int(conn.execute(stmt).scalar_one()))

    async def next_due(self) -> datetime | None:
        """When the earliest pending row becomes due (for the worker's sleep)."""
        stmt = select(func.min(outbox.c.due_at)).where(outbox.c.status == "pending")
        due: datetime | None = await self._db.run(lambda conn: conn.execute(stmt).scalar())
        return due
