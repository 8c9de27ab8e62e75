"""One thread owns a SQLite connection; the event loop hands it work in batches.

SQLite has one writer at a time. Going through an async driver costs a trip to the
driver's thread for every statement, and concurrent transactions queue for the single
connection, so under load most time is spent waiting. Here each unit of work is a plain
function of a SQLAlchemy :class:`~sqlalchemy.Connection`; the thread takes every job
waiting at that moment and runs them in one transaction (group commit), then settles
their futures on the loop in one call. A job that raises does not spoil the others: the
batch is rolled back and each job runs again alone, so every caller gets exactly its own
outcome, as if it had had a transaction of its own.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

__all__ = ["SqliteWriter"]

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Most jobs in one transaction; a bigger batch makes the last caller wait longer.
MAX_BATCH = 256


@dataclass(slots=True)
class _Job:
    work: Callable[[Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class SqliteWriter:
    """Runs jobs on one connection in a thread of its own, many jobs per transaction."""

    __slots__ = ("_engine", "_name", "_queue", "_thread", "_started")

    def __init__(self, engine: Engine, name: str) -> None:
        self._engine = engine
        self._name = name
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    async def start(self) -> None:
        """Open the connection in the writer thread; raises what opening raised."""
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[None] = loop.create_future()
        self._thread = threading.Thread(target=self._main, args=(loop, opened), name=self._name, daemon=True)
        self._thread.start()
        await opened

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` in a transaction; its return value once committed.

        ``work`` may run a second time, alone, when another job of its batch failed:
        keep it to statements on the connection (and results read from them).
        """
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError(f"{self._name} is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, future, loop))
        return await future

    async def close(self) -> None:
        """Finish the jobs already queued, then close the connection."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        await asyncio.to_thread(thread.join)

    # --- the writer thread ---------------------------------------------------------------------

    def _main(self, loop: asyncio.AbstractEventLoop, opened: asyncio.Future[None]) -> None:
        try:
            conn = self._engine.connect()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of start()
            loop.call_soon_threadsafe(_settle_one, opened, exc)
            return
        loop.call_soon_threadsafe(_settle_one, opened, None)
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        stopping = True
                        break
                    batch.append(job)
                outcomes = self._run_batch(conn, batch)
                by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, bool, Any]]] = {}
                for job, outcome in zip(batch, outcomes, strict=True):
                    by_loop.setdefault(job.loop, []).append((job, *outcome))
                for job_loop, settled in by_loop.items():
                    try:
                        job_loop.call_soon_threadsafe(_settle_many, settled)
                    except RuntimeError:  # that loop is closed: nobody waits any more
                        pass
        finally:
            conn.close()

    def _run_batch(self, conn: Connection, batch: list[_Job]) -> list[tuple[bool, Any]]:
        try:
            with conn.begin():
                results = [(True, job.work(conn)) for job in batch]
            return results
        except BaseException as exc:  # noqa: BLE001 - every job gets its own outcome below
            if len(batch) == 1:
                return [(False, exc)]
        return [self._run_batch(conn, [job])[0] for job in batch]


def _settle_one(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)


def _settle_many(settled: list[tuple[_Job, bool, Any]]) -> None:
    for job, ok, value in settled:
        if job.future.cancelled():
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)
