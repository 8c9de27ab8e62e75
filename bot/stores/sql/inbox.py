"""The inbox: platform messages accepted from a webhook, until the runtime has handled them.

A webhook is answered once its messages are here (durable), so the platform never has
to redeliver; handling follows right after, beside the webhook. One person's messages
are handled in the order they came: a row is not claimed while an older row of the
same pseudonym waits.

Two steps, so that the answer waits for as little as possible. :meth:`Inbox.keep` stores
one webhook's messages sealed together as one *envelope*: a single append. (A row per
message, each with two index entries on random keys, made SQLite write about twenty
pages per webhook of ten messages; py-spy put a third of the service's time in that
insert and its commit.) Before claiming, :meth:`Inbox.unpack` moves the oldest
envelopes' messages into the inbox, each sealed on its own and idempotent by key
(channel + platform message id), so a redelivered webhook adds nothing. Envelopes are
unpacked strictly oldest first, by one unpacker at a time, so every message of an
envelope gets a later row than every message of the envelopes before it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import aliased

from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.database import Database
from bot.stores.sql.tables import inbox, inbox_envelopes

__all__ = ["Inbox", "InboxItem", "InboxRow", "Unpacked"]


@dataclass(frozen=True, slots=True)
class InboxItem:
    idempotency_key: str
    pseudonym: str
    channel: str
    sealed: str  # the whole message, sealed


@dataclass(frozen=True, slots=True)
class Unpacked:
    envelopes: int  # opened and removed
    messages: int  # moved into the inbox (repeats of known messages included)
    dead: int  # envelopes that could not be opened: kept as dead for an operator


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
_SQLITE_KEEP = "INSERT INTO inbox_envelopes (sealed, messages, received_at, status) VALUES (?, ?, ?, 'pending')"
#: Waiting envelopes on PostgreSQL: one statement with three arrays, in their order (the
#: driver's executemany sends a bind and an execute per row), run by asyncpg itself.
_POSTGRES_KEEP = (
    "INSERT INTO inbox_envelopes (sealed, messages, received_at, status) "
    "SELECT sealed, messages, received_at, 'pending' "
    "FROM unnest($1::text[], $2::integer[], $3::timestamptz[]) WITH ORDINALITY"
    " AS kept(sealed, messages, received_at, n) "
    "ORDER BY n"
)
#: The oldest waiting envelopes, as many as hold ``want`` messages (the last may hold more):
#: after a burst of batched webhooks the unpacker reads seven envelopes of ten, not 64 to
#: use seven. The running sum goes over ids and counts only (at most ``want`` rows, so
#: neither database reads the whole queue for it); sealed texts are read for the chosen.
_first = (
    select(inbox_envelopes.c.id, inbox_envelopes.c.messages)
    .where(inbox_envelopes.c.status == "pending")
    .order_by(inbox_envelopes.c.id)
    .limit(bindparam("want"))
    .subquery()
)
_counted = select(
    _first.c.id,
    (func.sum(_first.c.messages).over(order_by=_first.c.id) - _first.c.messages).label("before"),
).subquery()
_ENVELOPES = (
    select(inbox_envelopes.c.id, inbox_envelopes.c.sealed, inbox_envelopes.c.received_at)
    .join(_counted, _counted.c.id == inbox_envelopes.c.id)
    .where(_counted.c.before < bindparam("want"))
    .order_by(inbox_envelopes.c.id)
)
_UNPACKED = delete(inbox_envelopes).where(inbox_envelopes.c.id.in_(bindparam("ids", expanding=True)))
_DEAD = (update(inbox_envelopes).where(inbox_envelopes.c.id.in_(bindparam("ids", expanding=True)))
         .values(status="dead"))
#: PostgreSQL: one unpacker at a time across processes (others claim what is there).
_UNPACK_LOCK = 0x7072_6D69_6E62  # "prminb"


class _Gathering:
    """Envelopes waiting for one shared write, and that write (a task of its own, so a
    caller that gives up does not take the others' write with it)."""

    __slots__ = ("rows", "written")

    def __init__(self, inbox: Inbox) -> None:
        self.rows: list[tuple[str, int, datetime]] = []
        db = inbox._db
        write = (db.run(functools.partial(inbox._sqlite_write, self)) if db.dialect == "sqlite"
                 else db.run_statement(functools.partial(inbox._postgres_statement, self)))
        self.written: asyncio.Task[Any] = asyncio.get_running_loop().create_task(write)
        # Its callers raise its error; if every one of them gave up, it is not reported twice.
        self.written.add_done_callback(lambda task: task.cancelled() or task.exception())


class Inbox:
    __slots__ = ("_db", "_gathering")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._gathering: _Gathering | None = None

    @staticmethod
    def table() -> Table:
        return inbox

    async def put(self, items: Sequence[InboxItem], at: datetime) -> int:
        """Keep messages in the inbox itself; how many were new (known keys are skipped)."""
        if not items:
            return 0
        dialect = self._db.dialect
        return await self._db.run(lambda conn: _put(conn, dialect, items, at))

    async def keep(self, sealed: str, messages: int, at: datetime) -> None:
        """Keep one webhook's ``messages``, sealed together; durable when this returns.

        Envelopes kept until their write begins share it: one INSERT for all of them, in
        the order they came, and each caller shares its outcome. Under load that is many
        webhooks per statement; when quiet, one. On PostgreSQL the statement commits by
        itself, in one round trip (:meth:`Database.run_statement`), and its rows gather
        until it has a connection; on SQLite it joins the writer's next commit, where the
        statement and its job cost more than the row.
        """
        gathering = self._gathering
        if gathering is None or gathering.written.done():  # done: it failed before it began
            gathering = self._gathering = _Gathering(self)
        gathering.rows.append((sealed, messages, at))
        await asyncio.shield(gathering.written)

    def _close(self, gathering: _Gathering) -> list[tuple[str, int, datetime]]:
        """Its write begins: envelopes from now on gather for the next one."""
        if self._gathering is gathering:
            self._gathering = None
        return gathering.rows

    def _sqlite_write(self, gathering: _Gathering, conn: Connection) -> None:
        """The shared write (a writer's job: it may run again, alone, with the same rows)."""
        _sqlite_keep(conn, self._close(gathering))

    def _postgres_statement(self, gathering: _Gathering) -> tuple[str, Sequence[Any]]:
        """The shared write's statement, asked for once a connection is in hand (and again,
        with the same rows, after a connection that turned out to be closed)."""
        rows = self._close(gathering)
        return _POSTGRES_KEEP, ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    async def unpack(self, open_envelope: Callable[[str], Sequence[InboxItem]], want: int) -> Unpacked:
        """Move the oldest envelopes' messages into the inbox until at least ``want`` moved.

        ``open_envelope`` turns an envelope into its messages (pure: it may run twice). One
        that raises marks its envelope dead instead of blocking every later one.
        """
        dialect = self._db.dialect

        def work(conn: Connection) -> Unpacked:
            if dialect == "postgresql" and not conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _UNPACK_LOCK}).scalar():
                return Unpacked(0, 0, 0)  # another process is unpacking: claim what is there
            moved, opened, dead = 0, list[int](), list[int]()
            for envelope_id, sealed, at in conn.execute(_ENVELOPES, {"want": max(1, want)}).all():
                try:
                    items = open_envelope(sealed)
                except Exception:  # noqa: BLE001 - kept as dead, never in the way of the rest
                    dead.append(envelope_id)
                    continue
                _put(conn, dialect, items, at)
                opened.append(envelope_id)
                moved += len(items)
                if moved >= want:
                    break
            if opened:
                conn.execute(_UNPACKED, {"ids": opened})
            if dead:
                conn.execute(_DEAD, {"ids": dead})
            return Unpacked(len(opened), moved, len(dead))

        result = await self._db.run(work)
        self._db.churned(inbox_envelopes, result.envelopes + result.dead)
        return result

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
            counts = {"pending": 0, "dead": 0}
            rows = select(inbox.c.status, func.count()).group_by(inbox.c.status)
            packed = (select(inbox_envelopes.c.status, func.sum(inbox_envelopes.c.messages))
                      .group_by(inbox_envelopes.c.status))
            for stmt in (rows, packed):
                for status, n in conn.execute(stmt).all():
                    counts[str(status)] = counts.get(str(status), 0) + int(n or 0)
            return counts

        return await self._db.run(work)



def _put(conn: Connection, dialect: str, items: Sequence[InboxItem], at: datetime) -> int:
    """Insert ``items`` (known keys skipped), in their order; how many were new."""
    if not items:
        return 0
    if dialect == "sqlite":
        return _sqlite_put(conn, items, at)
    rows = [
        {"idempotency_key": i.idempotency_key, "pseudonym": i.pseudonym, "channel": i.channel,
         "sealed": i.sealed, "received_at": at, "not_before": None, "attempts": 0,
         "status": "pending", "last_error": None}
        for i in items
    ]
    return len(conn.execute(insert_ignore(dialect, inbox).returning(inbox.c.id), rows).all())


def _sqlite_time(conn: Connection, at: datetime) -> object:
    received = _time_binder(conn.dialect)
    return received(at) if received is not None else at


@functools.cache
def _time_binder(dialect: Dialect) -> Callable[[object], object] | None:
    """How the dialect stores a time (built once per engine, not per statement)."""
    return inbox.c.received_at.type.bind_processor(dialect)


def _sqlite_put(conn: Connection, items: Sequence[InboxItem], at: datetime) -> int:
    """Inbox rows on SQLite, in the writer's transaction (the same driver connection)."""
    when = _sqlite_time(conn, at)
    cursor = conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
        _SQLITE_PUT, [(i.idempotency_key, i.pseudonym, i.channel, i.sealed, when) for i in items]
    )
    return int(cursor.rowcount)


def _sqlite_keep(conn: Connection, rows: list[tuple[str, int, datetime]]) -> None:
    """Envelopes on SQLite, straight to the driver."""
    conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
        _SQLITE_KEEP, [(sealed, messages, _sqlite_time(conn, at)) for sealed, messages, at in rows])
