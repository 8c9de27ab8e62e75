"""Resealing every stored sealed value under the first sealing key, after a rotation.

An operator who rotates the sealing key puts the new key first in
``PRAATMEE_SEALING_KEYS``; new values are sealed with it at once, but the addresses
of existing participants (and messages still queued) stay sealed under the old key
until something rewrites them. ``praatmee keys reseal`` rewrites them, so the old key
can then be removed without losing anyone. Safe beside a running service: each row is
rewritten only if it still holds the value that was read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Connection, Table, and_, bindparam, select, update

from bot.stores.sql.database import Database
from bot.stores.sql.tables import addresses, inbox, inbox_envelopes, outbox
from moderation.sealing import AddressSealer, SealError

__all__ = ["SEALED_COLUMNS", "ResealCount", "reseal_all"]

#: Every column that holds sealed values, with the key its rows are walked by.
SEALED_COLUMNS: tuple[tuple[Table, Column, Column], ...] = (
    (addresses, addresses.c.pseudonym, addresses.c.address_enc),
    (outbox, outbox.c.id, outbox.c.address_enc),
    (inbox, inbox.c.id, inbox.c.sealed),
    (inbox_envelopes, inbox_envelopes.c.id, inbox_envelopes.c.sealed),
)


@dataclass(frozen=True, slots=True)
class ResealCount:
    table: str
    resealed: int
    current: int
    #: Sealed under no configured key: left as they are (and unreadable).
    unopenable: int


async def reseal_all(db: Database, sealer: AddressSealer, *, batch: int = 500) -> list[ResealCount]:
    """Reseal, batch by batch, every value not yet sealed under the first key."""
    return [await _reseal_table(db, sealer, table, key, value, batch) for table, key, value in SEALED_COLUMNS]


async def _reseal_table(db: Database, sealer: AddressSealer, table: Table, key: Column, value: Column,
                        batch: int) -> ResealCount:
    page = select(key, value).where(key > bindparam("after")).order_by(key).limit(batch)
    first = select(key, value).order_by(key).limit(batch)
    rewrite = (update(table).where(and_(key == bindparam("k"), value == bindparam("old")))
               .values({value.name: bindparam("new")}))
    resealed = current = unopenable = 0
    after = None
    while True:
        rows = await db.run(lambda conn, a=after: conn.execute(first if a is None else page, {} if a is None else {"after": a}).all())
        if not rows:
            break
        after = rows[-1][0]
        changes = []
        for k, old in rows:
            if sealer.is_current(old):
                current += 1
                continue
            try:
                changes.append({"k": k, "old": old, "new": sealer.reseal(old)})
            except SealError:
                unopenable += 1
        if changes:
            resealed += await db.run(lambda conn, c=changes: _rewrite(conn, rewrite, c))
    return ResealCount(table.name, resealed, current, unopenable)


def _rewrite(conn: Connection, rewrite: object, changes: list[dict[str, object]]) -> int:
    # One statement per row, so a row that changed or went meanwhile is simply not counted.
    return sum(conn.execute(rewrite, change).rowcount for change in changes)
