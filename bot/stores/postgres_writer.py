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

What must be durable before an answer, and is one statement (a webhook's messages into
the inbox), goes beside the batches, straight to asyncpg on a small pool of its own
(:meth:`PostgresWriter.run_statement`). Through SQLAlchemy's execution (pool checkout,
greenlet, compiled statement, result) and up to twenty at once, the loop spent 211 µs per
single-message webhook at 4,525 a second; this way, two at once, 153 (same step, fresh
server each). Each statement costs the loop its send and wake-up whatever its size, so
fewer, larger ones are cheaper: while two are under way the next one's rows gather.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.stores.jobs import Job, Outcome, call_after_gap, run_all, settle

__all__ = ["PostgresWriter"]

T = TypeVar("T")

#: Batches in flight at once: enough to keep PostgreSQL busy while a commit waits for its
#: WAL flush, few enough that batches grow under load instead of connections multiplying.
IN_FLIGHT = 4
#: Statements run alone at once (each its own connection). While they all are under way,
#: the next one's rows gather (see :meth:`bot.stores.sql.inbox.Inbox.keep`). Two, not
#: four: at 4,525 webhooks a second, 153 against 170-189 µs of the loop per webhook.
STATEMENTS_IN_FLIGHT = 2
#: A statement: the SQL (``$1``, ``$2`` ...) and its arguments, asked for only once a
#: connection is in hand (until then, more rows may join it).
Statement = Callable[[], tuple[str, Sequence[Any]]]
#: A connection that the server (or the network) closed, seen as the error of whatever
#: the statement met first: the statement runs again once, on a fresh connection.
_BROKEN = (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
           asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)


class PostgresWriter:
    """Runs jobs in transactions on an async engine, all jobs of one loop round together."""

    __slots__ = ("_engine", "_in_flight", "_last_dispatch", "_limit", "_pending", "_scheduled",
                 "_statements", "_tasks")

    def __init__(self, engine: AsyncEngine, *, in_flight: int = IN_FLIGHT) -> None:
        self._engine = engine
        self._statements: asyncpg.Pool | None = None
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

    async def start(self) -> None:
        """Open the statements' pool (the batches use the engine's)."""
        args, params = self._engine.dialect.create_connect_args(self._engine.url)
        for only_sqlalchemy in ("prepared_statement_cache_size", "prepared_statement_name_func"):
            params.pop(only_sqlalchemy, None)
        # No reset query on release (a round trip each time): a statement leaves no state.
        self._statements = await asyncpg.create_pool(
            *args, **params, min_size=1, max_size=STATEMENTS_IN_FLIGHT, reset=_keep_session)

    async def run_statement(self, statement: Statement) -> str:
        """Run one statement, committed by itself: one round trip, beside the batches (a
        batch is BEGIN, its statements and COMMIT, each waiting for its turn of a busy
        loop). For what must be durable before an answer, and needs nothing else.
        ``statement()`` is called once a connection is in hand, and again if that
        connection turns out to be closed. Returns the server's status (``INSERT 0 3``)."""
        if self._statements is None:
            raise RuntimeError("PostgresWriter.start() was not awaited")
        async with self._statements.acquire() as conn:
            try:
                return await conn.execute(*_flat(statement()))
            except _BROKEN:
                # The pooled one was dead (a server restart, an idle timeout); the error may
                # come before the socket's end does. Kept twice at worst (if it died after
                # its commit): the inbox drops repeats when unpacking.
                conn.terminate()
        async with self._statements.acquire() as conn:  # the pool replaces a closed one
            return await conn.execute(*_flat(statement()))

    def _schedule(self) -> None:
        self._scheduled = True
        call_after_gap(self._last_dispatch, self._dispatch)

    async def close(self) -> None:
        """Wait for the batches in flight (jobs handed over later still run), then close
        the statements' pool once its statements are done."""
        while self._tasks or self._pending:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            else:
                await asyncio.sleep(0)
        if self._statements is not None:
            await self._statements.close()

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


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """The statements' pool's reset: nothing to undo (and no round trip for it)."""


def _flat(statement: tuple[str, Sequence[Any]]) -> tuple[Any, ...]:
    sql, args = statement
    return (sql, *args)
