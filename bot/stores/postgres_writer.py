"""PostgreSQL jobs committed together: the jobs of one event-loop round share a transaction.

A transaction of its own per job costs a pool checkout, BEGIN and COMMIT, three round
trips and a WAL flush, for what is often one INSERT (a webhook's message into the inbox).
Under load that, not the work, limits the service. So, as on SQLite (see
:mod:`bot.stores.sqlite_writer`), every job handed over while the loop runs its ready
callbacks joins one batch, run in one transaction on one pooled connection. A few
batches may be in flight at once; while they are, new jobs gather into the next, so
batches grow with the load and shrink to one job when it is quiet. Batches start at
most every :data:`~bot.stores.jobs.COMMIT_GAP`, so that under load each carries the
jobs of several rounds. A job that raises
rolls its batch back; every job then runs again alone, so each caller gets exactly its
own outcome. Jobs must not catch database errors themselves: on PostgreSQL an error
spoils the whole transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.stores.jobs import Job, Outcome, call_after_gap, run_all, settle

__all__ = ["PostgresWriter"]

T = TypeVar("T")

#: Batches in flight at once: enough to keep PostgreSQL busy while a commit waits for its
#: WAL flush, few enough that batches grow under load instead of connections multiplying.
IN_FLIGHT = 4


class PostgresWriter:
    """Runs jobs in transactions on an async engine, all jobs of one loop round together."""

    __slots__ = ("_autocommit", "_engine", "_in_flight", "_last_dispatch", "_limit", "_pending",
                 "_scheduled", "_tasks")

    def __init__(self, engine: AsyncEngine, *, in_flight: int = IN_FLIGHT) -> None:
        self._engine = engine
        # The same pool; its connections commit every statement by itself (no BEGIN).
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._limit = in_flight
        self._in_flight = 0
        self._pending: list[Job] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_dispatch = float("-inf")  # loop time a batch was last started

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` in a transaction; its return value once committed.

        ``work`` may run a second time, alone, when another job of its batch failed:
        keep it to statements on the connection (and results read from them).
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append(Job(work, future))
        if not self._scheduled:
            self._schedule()
        return await future

    async def run_statement(self, work: Callable[[Connection], T]) -> T:
        """Run ``work``, one statement, committed by itself: one round trip, beside the
        batches (a batch is BEGIN, its statements and COMMIT, each waiting for its turn of
        a busy loop). For what must be durable before an answer, and needs nothing else."""
        try:
            async with self._autocommit.connect() as conn:
                return await conn.run_sync(work)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        async with self._autocommit.connect() as conn:  # the pooled one was dead: a fresh one
            return await conn.run_sync(work)

    def _schedule(self) -> None:
        self._scheduled = True
        call_after_gap(self._last_dispatch, self._dispatch)

    async def close(self) -> None:
        """Wait for the batches in flight (jobs handed over later still run)."""
        while self._tasks or self._pending:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            else:
                await asyncio.sleep(0)

    def _dispatch(self) -> None:
        self._scheduled = False
        if self._pending and self._in_flight < self._limit:
            batch, self._pending = self._pending, []
            self._in_flight += 1
            self._last_dispatch = asyncio.get_running_loop().time()
            task = asyncio.get_running_loop().create_task(self._commit(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _commit(self, batch: list[Job]) -> None:
        outcomes: list[Outcome] = [(False, RuntimeError("the database writer stopped"))] * len(batch)
        try:
            outcomes = await self._run_batch(batch)
        finally:
            self._in_flight -= 1
            settle(batch, outcomes)
            if self._pending and not self._scheduled:
                self._schedule()

    async def _run_batch(self, batch: list[Job], *, reconnected: bool = False) -> list[Outcome]:
        try:
            async with self._engine.begin() as conn:
                return await conn.run_sync(run_all, batch)
        except DBAPIError as exc:
            if exc.connection_invalidated and not reconnected:
                # The pooled connection was dead (the server restarted, or closed an idle
                # connection); the pool has dropped it. Once more, on a fresh one.
                return await self._run_batch(batch, reconnected=True)
            if len(batch) == 1:
                return [(False, exc)]
        except Exception as exc:  # every job gets its own outcome below
            if len(batch) == 1:
                return [(False, exc)]
        return [(await self._run_batch([job], reconnected=True))[0] for job in batch]
