"""The digest delivery log: one row per official and week, so nothing is sent twice.

A send first *claims* its row (insert, or take over a retry that is due or a
lease that ran out), then sends, then marks it sent. A restart finds the row
marked sent and sends nothing; a crash mid-send leaves a lease that a later run
takes over. Failed attempts back off; after ``MAX_ATTEMPTS`` the row is failed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select, update

from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.database import Database
from bot.stores.sql.tables import digest_sends

__all__ = ["DigestLog", "SendRecord", "digest_key"]

MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=10)


def digest_key(official_id: str, week: str) -> str:
    return hashlib.sha256(f"digest:{official_id}:{week}".encode()).hexdigest()


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(240, 5 * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class SendRecord:
    official_id: str
    iso_week: str
    status: str
    attempts: int
    message_id: str | None
    last_error: str | None
    sent_at: datetime | None


class DigestLog:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, official_id: str, week: str, now: datetime) -> bool:
        """True when this caller may send the digest now."""
        key = digest_key(official_id, week)
        row = {
            "idempotency_key": key,
            "official_id": official_id,
            "iso_week": week,
            "status": "sending",
            "attempts": 1,
            "lease_until": now + LEASE,
            "created_at": now,
        }
        take_over = (
            update(digest_sends)
            .where(
                digest_sends.c.idempotency_key == key,
                or_(
                    and_(digest_sends.c.status == "retry", digest_sends.c.next_attempt_at <= now),
                    and_(digest_sends.c.status == "sending", digest_sends.c.lease_until < now),
                ),
            )
            .values(status="sending", attempts=digest_sends.c.attempts + 1, lease_until=now + LEASE)
        )
        claim = insert_ignore(self._db.dialect, digest_sends).returning(digest_sends.c.id)

        def work(conn: Connection) -> bool:
            if conn.execute(claim, row).all():
                return True
            return bool(conn.execute(take_over).rowcount)

        return await self._db.run(work)

    async def sent(self, official_id: str, week: str, message_id: str, now: datetime) -> None:
        await self._set(
            official_id,
            week,
            status="sent",
            message_id=message_id,
            sent_at=now,
            lease_until=None,
            last_error=None,
        )

    async def failed(
        self, official_id: str, week: str, error: str, now: datetime, *, temporary: bool
    ) -> str:
        """Record a failed attempt; 'retry' (due later) or 'failed' (given up)."""
        record = await self.get(official_id, week)
        attempts = record.attempts if record else MAX_ATTEMPTS
        if temporary and attempts < MAX_ATTEMPTS:
            await self._set(
                official_id,
                week,
                status="retry",
                next_attempt_at=now + backoff(attempts),
                lease_until=None,
                last_error=error[:200],
            )
            return "retry"
        await self._set(
            official_id, week, status="failed", lease_until=None, last_error=error[:200]
        )
        return "failed"

    async def get(self, official_id: str, week: str) -> SendRecord | None:
        stmt = select(digest_sends).where(
            digest_sends.c.idempotency_key == digest_key(official_id, week)
        )

        def work(conn: Connection) -> Row[Any] | None:
            return conn.execute(stmt).first()

        row = await self._db.run(work)
        if row is None:
            return None
        r = row._mapping
        return SendRecord(
            r["official_id"],
            r["iso_week"],
            r["status"],
            r["attempts"],
            r["message_id"],
            r["last_error"],
            r["sent_at"],
        )

    async def _set(self, official_id: str, week: str, **values: object) -> None:
        stmt = (
            update(digest_sends)
            .where(digest_sends.c.idempotency_key == digest_key(official_id, week))
            .values(**values)
        )

        def work(conn: Connection) -> None:
            conn.execute(stmt)

        await self._db.run(work)
