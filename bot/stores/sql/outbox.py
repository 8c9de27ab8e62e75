"""The outbox: every message the bot sends waits here until its sender delivers it.

Rows are idempotent by key (channel message id + turn + index), so handling the
same inbound message twice queues its replies once. ``due_at`` implements
quiet hours, fatigue deferral and retry backoff; ``priority`` lets
conversational replies go before bulk prompts. A claimed row carries a lease:
if the worker dies, the row becomes claimable again when the lease ends.
Delivered rows are deleted (their sealed address with them); the delivery log
keeps only pseudonym, platform message id and state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update

from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.database import Database
from bot.stores.sql.tables import delivery_log, outbox

__all__ = ["BULK", "CONVERSATIONAL", "Outbox", "OutboxItem", "OutboxRow"]

CONVERSATIONAL = 0
BULK = 1

#: The columns of an :class:`OutboxRow`, in its order.
_ROW = (
    outbox.c.id, outbox.c.idempotency_key, outbox.c.channel, outbox.c.address_enc,
    outbox.c.payload, outbox.c.pseudonym, outbox.c.priority, outbox.c.attempts, outbox.c.due_at,
)
_DELETE = delete(outbox).where(outbox.c.id == bindparam("i"))
#: One delivery log row; execute with every column's value (None where unknown).
_LOG = insert(delivery_log)
_RELEASE_HELD = (
    update(outbox)
    .where(outbox.c.pseudonym == bindparam("p"), outbox.c.status == "pending", outbox.c.last_error.like("held:%"))
    .values(due_at=bindparam("now"), last_error=None)
)


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
        max_priority: int | None = None,
    ) -> list[OutboxRow]:
        """Take up to ``limit`` due rows, best first, leasing them to this worker."""
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
        pick = (
            select(outbox.c.id)
            .where(and_(*conditions))
            .order_by(outbox.c.priority, outbox.c.due_at, outbox.c.id)
            .limit(limit)
        )
        if self._db.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            update(outbox)
            .where(outbox.c.id.in_(pick.scalar_subquery()))
            .values(status="sending", lease_until=now + lease, attempts=outbox.c.attempts + 1)
            .returning(*_ROW)
        )
        rows = await self._db.run(lambda conn: conn.execute(stmt).all())
        claimed = [OutboxRow(*r) for r in rows]
        return sorted(claimed, key=lambda r: (r.priority, r.due_at, r.id))

    async def delivered(self, row: OutboxRow, platform_message_id: str | None, at: datetime) -> None:
        log = {"pseudonym": row.pseudonym, "channel": row.channel,
               "platform_message_id": platform_message_id, "state": "sent", "at": at}

        def work(conn: Connection) -> None:
            conn.execute(_DELETE, {"i": row.id})
            conn.execute(_LOG, log)

        await self._db.run(work)

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

    async def release_held(self, pseudonym: str, now: datetime) -> int:
        """The participant wrote again (a new 24-hour window): held messages are due now."""
        params = {"p": pseudonym, "now": now}
        return await self._db.run(lambda conn: conn.execute(_RELEASE_HELD, params).rowcount or 0)

    async def drop_pending(self, pseudonym: str) -> int:
        """Remove everything still queued for a participant (they stopped or blocked us)."""
        stmt = delete(outbox).where(outbox.c.pseudonym == pseudonym, outbox.c.status != "failed")
        return await self._db.run(lambda conn: conn.execute(stmt).rowcount or 0)

    async def log_status(
        self, channel: str, platform_message_id: str, state: str, at: datetime,
        error_code: int | None = None,
    ) -> str | None:
        """Record a platform status report; returns the pseudonym the message went to."""

        def work(conn: Connection) -> str | None:
            pseudonym: str | None = conn.execute(
                select(delivery_log.c.pseudonym)
                .where(delivery_log.c.channel == channel,
                       delivery_log.c.platform_message_id == platform_message_id)
                .limit(1)
            ).scalar()
            conn.execute(_LOG, {"pseudonym": pseudonym, "channel": channel,
                                "platform_message_id": platform_message_id, "state": state,
                                "error_code": error_code, "detail": None, "at": at})
            return pseudonym

        return await self._db.run(work)

    async def pending(self) -> int:
        stmt = select(func.count()).select_from(outbox).where(outbox.c.status != "failed")
        return await self._db.run(lambda conn: int(conn.execute(stmt).scalar_one()))

    async def next_due(self) -> datetime | None:
        """When the earliest pending row becomes due (for the worker's sleep)."""
        stmt = select(func.min(outbox.c.due_at)).where(outbox.c.status == "pending")
        due: datetime | None = await self._db.run(lambda conn: conn.execute(stmt).scalar())
        return due
