"""PostgreSQL: the queue tables are vacuumed as fast as they churn, by Praatmee itself.

The inbox (and its envelopes) and the outbox are queues. In a burst, thousands of rows a
minute come and go, and every claim and every delete leaves a dead row version behind. Until a
VACUUM removes them, each claim walks them again from the front of the queue (measured:
73,000 dead versions after a burst of 25,000 webhook messages; every claim then read
60,000 pages and took 50-100 ms, and handling fell to a third). Autovacuum visits a
table at most once a minute, after a fifth of it changed, and may be switched off. So
the stores report the rows they churn, and after :data:`VACUUM_AFTER` of them this
vacuums that table, beside the service: VACUUM takes no lock that stops reads or writes.
On SQLite a deleted row is gone at once; nothing to do there.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["VACUUM_AFTER", "QueueSweeper"]

log = logging.getLogger(__name__)

#: Rows deleted or updated in a table before it is vacuumed: a claim walks at most about
#: this many dead versions.
VACUUM_AFTER = 2_000
#: The tables this may vacuum (their names go into the statement).
QUEUE_TABLES = frozenset({"inbox", "inbox_envelopes", "outbox"})


class QueueSweeper:
    """Counts churned rows per queue table; vacuums a table, one at a time, when due."""

    __slots__ = ("_after", "_churned", "_engine", "_running")

    def __init__(self, engine: AsyncEngine, *, after: int = VACUUM_AFTER) -> None:
        self._engine = engine
        self._after = after
        self._churned: dict[str, int] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

    def churned(self, table: str, rows: int) -> None:
        """``rows`` of ``table`` were deleted or updated (each left a dead version)."""
        if table not in QUEUE_TABLES:
            raise ValueError(f"{table!r} is not a queue table")
        count = self._churned.get(table, 0) + rows
        if count < self._after or table in self._running:
            self._churned[table] = count
            return
        self._churned[table] = 0
        task = asyncio.get_running_loop().create_task(self._vacuum(table))
        self._running[table] = task
        task.add_done_callback(lambda _: self._running.pop(table, None))

    async def _vacuum(self, table: str) -> None:
        try:
            async with self._engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        except Exception as exc:  # noqa: BLE001 - the next churn tries again
            log.warning("vacuum of %s failed: %s", table, type(exc).__name__)

    async def wait(self) -> None:
        """Until the vacuums under way are done."""
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
