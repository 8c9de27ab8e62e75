"""The inbox: platform messages accepted from a webhook, until the runtime has handled them.

A webhook is answered once its messages are here (durable), so the platform never has
to redeliver; handling follows right after, beside the webhook. Rows are idempotent by
key (channel + platform message id). One person's messages are handled in the order
they came: a row is not claimed while an older row of the same pseudonym waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.database import Database
from bot.stores.sql.tables import inbox

__all__ = ["Inbox", "InboxItem", "InboxRow"]


@dataclass(frozen=True, slots=True)
class InboxItem:
    idempotency_key: str
    pseudonym: str
    channel: str
    sealed: str  # the whole message, sealed


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    pseudonym: str
    sealed: str
    attempts: int


_older = aliased(inbox)
#: On SQLite, the webhook's INSERT goes to the driver as it is: through SQLAlchemy's
#: execution it cost about 150 µs a message, a third of the webhook's answer (py-spy at
#: 1,600 messages/s); the driver's own statement costs a tenth of that.
_SQLITE_PUT = (
    "INSERT INTO inbox (idempotency_key, pseudonym, channel, sealed, received_at, attempts, status)"
    " VALUES (?, ?, ?, ?, ?, 0, 'pending') ON CONFLICT (idempotency_key) DO NOTHING"
)
_DELETE = delete(inbox).where(inbox.c.id.in_(bindparam("ids", expanding=True)))


class Inbox:
    __slots__ = ("_db", "_round")

    def __init__(self, db: Database) -> None:
        self._db = db
        # PostgreSQL: the messages kept during this round of the event loop, and their write.
        self._round: tuple[list[InboxItem], asyncio.Future[None]] | None = None

    @staticmethod
    def table() -> Table:
        return inbox

    async def put(self, items: Sequence[InboxItem], at: datetime) -> int:
        """Keep messages until handled; how many were new (known keys are skipped)."""
        if not items:
            return 0
        if self._db.dialect == "sqlite":
            return await self._db.run(lambda conn: _sqlite_put(conn, items, at))
        rows = [
            {"idempotency_key": i.idempotency_key, "pseudonym": i.pseudonym, "channel": i.channel,
             "sealed": i.sealed, "received_at": at, "not_before": None, "attempts": 0,
             "status": "pending", "last_error": None}
            for i in items
        ]
        stmt = insert_ignore(self._db.dialect, inbox).returning(inbox.c.id)
        return await self._db.run(lambda conn: len(conn.execute(stmt, rows).all()))

    async def keep(self, batch: Sequence[InboxItem], at: datetime) -> None:
        """Keep one webhook's messages; durable when this returns.

        On PostgreSQL every statement is a round trip to the server, so the messages kept
        during one round of the event loop go in with one INSERT: the first waits one
        turn of the loop for the others, then writes them all, and each of the others
        shares the outcome of that write (measured: 2,200 -> 9,600 messages/s). On SQLite
        a statement costs microseconds and the writer already commits a round together;
        waiting a turn would only add latency there.
        """
        if self._db.dialect != "postgresql":
            await self.put(batch, at)
            return
        if self._round is not None:
            items, stored = self._round
            items.extend(batch)
            await asyncio.shield(stored)
            return
        items, stored = list(batch), asyncio.get_running_loop().create_future()
        self._round = (items, stored)
        try:
            await asyncio.sleep(0)
            self._round = None
            await self.put(items, at)
        except BaseException as exc:
            if self._round is not None and self._round[1] is stored:
                self._round = None
            stored.set_exception(exc if isinstance(exc, Exception) else ConnectionAbortedError("not kept"))
            stored.exception()  # retrieved: this caller raises it itself
            raise
        stored.set_result(None)

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[InboxRow]:
        """Take up to ``limit`` rows, oldest first, that are due and have no older row waiting."""
        due = or_(inbox.c.not_before.is_(None), inbox.c.not_before <= now)
        # "Their oldest waiting message" as a per-row lookup on the pseudonym index. As an
        # anti-join (NOT EXISTS an older one) PostgreSQL planned it, on a table that grew
        # from empty faster than its statistics, as a scan of the whole inbox for every
        # candidate: the claims of a burst's backlog took a server core.
        oldest_of_theirs = (
            select(func.min(_older.c.id))
            .where(_older.c.pseudonym == inbox.c.pseudonym, _older.c.status == "pending")
            .scalar_subquery()
        )
        pick = (
            select(inbox.c.id)
            .where(inbox.c.status == "pending", due, inbox.c.id == oldest_of_theirs)
            .order_by(inbox.c.id)
            .limit(limit)
        )
        if self._db.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        # Joined to the picked ids (not ``id IN (subquery)``, which PostgreSQL ran as a
        # scan of the whole inbox, a burst's backlog included, for every claim).
        picked = pick.cte("picked")
        stmt = (
            update(inbox)
            .where(inbox.c.id == picked.c.id)
            .values(not_before=now + lease, attempts=inbox.c.attempts + 1)
            .returning(inbox.c.id, inbox.c.pseudonym, inbox.c.sealed, inbox.c.attempts)
        )
        rows = await self._db.run(lambda conn: conn.execute(stmt).all())
        self._db.churned(inbox, len(rows))
        return sorted((InboxRow(*r) for r in rows), key=lambda r: r.id)

    async def done(self, ids: Sequence[int]) -> None:
        """Handled: forget them."""
        if ids:
            await self._db.run(lambda conn: conn.execute(_DELETE, {"ids": list(ids)}))
            self._db.churned(inbox, len(ids))

    async def postpone(self, row: InboxRow, until: datetime, error: str, *, dead: bool = False) -> None:
        """Handling failed: try again from ``until`` (or never, when ``dead``)."""
        stmt = (
            update(inbox)
            .where(inbox.c.id == row.id)
            .values(not_before=until, last_error=error[:200], status="dead" if dead else "pending")
        )
        await self._db.run(lambda conn: conn.execute(stmt))

    async def counts(self) -> dict[str, int]:
        """Rows per status (pending, dead), for /healthz and the benchmark."""

        def work(conn: Connection) -> dict[str, int]:
            stmt = select(inbox.c.status, func.count()).group_by(inbox.c.status)
            return {"pending": 0, "dead": 0} | {str(s): int(n) for s, n in conn.execute(stmt).all()}

        return await self._db.run(work)



def _sqlite_put(conn: Connection, items: Sequence[InboxItem], at: datetime) -> int:
    """:meth:`Inbox.put` on SQLite, in the writer's transaction (the same driver connection)."""
    received = inbox.c.received_at.type.bind_processor(conn.dialect)
    when = received(at) if received is not None else at
    cursor = conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
        _SQLITE_PUT, [(i.idempotency_key, i.pseudonym, i.channel, i.sealed, when) for i in items]
    )
    return int(cursor.rowcount)
