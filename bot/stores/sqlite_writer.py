"""One SQLite connection per file, used on the event loop's thread, many jobs per commit.

SQLite has one writer at a time, and in WAL mode with ``synchronous=NORMAL`` a commit
only appends to the write-ahead log in the page cache: tens of microseconds. What costs
is getting there. An async driver sends every statement to a thread of its own and back,
and under load the GIL passes between that thread and the loop for every call into
SQLite (measured: p99 reply latency 100-600 ms at half load, with the loop half idle).
So the jobs run here, on the loop's thread, and together: each job is a plain function
of a SQLAlchemy :class:`~sqlalchemy.Connection`; every job handed over while the loop
runs its ready callbacks joins one transaction, committed at the end of that round
(group commit), or, when the last commit was less than :data:`~bot.stores.jobs.COMMIT_GAP` ago, when
that much time has passed. A job that raises does not spoil the others: the batch is rolled back
and each job runs again alone, so every caller gets exactly its own outcome, as if it
had had a transaction of its own.

The slow part of WAL, the checkpoint (copying the log back into the database file, with
a disk sync), never runs inside a commit: automatic checkpoints are off on this
connection, and a thread with a connection of its own checkpoints beside it.

SQLite starts the log over from its beginning only when a write finds it wholly copied
back. Under steady load that never happens by itself: every commit lands while the
thread is still copying the ones before. (Measured: a 4.6 GB log beside a 180 MB
database after twenty minutes of webhook bursts and their handling.) So once the log holds
:data:`WAL_RESTART_PAGES`, the writer holds its next commit back, without blocking the
loop, while the last few pages are copied; that commit then starts the log over, and
the file is cut back to :data:`WAL_FILE_LIMIT`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from bot.stores.jobs import Job, Outcome, call_after_gap, run_all, settle

__all__ = ["SqliteWriter"]

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Seconds between checkpoints while jobs are committed.
CHECKPOINT_EVERY = 1.0
#: Pages in the log (4 KiB each) from which the writer lets it start over (about 32 MiB).
WAL_RESTART_PAGES = 8192
#: Bytes the log file is cut back to when it starts over.
WAL_FILE_LIMIT = 8 * 1024 * 1024
#: How long the writer holds its commits back for the log to be copied in completely
#: (another process reading an old snapshot can prevent it: then the log may grow to
#: twice its length before the writer tries again).
FOLD_PATIENCE = 0.5


class SqliteWriter:
    """Runs jobs on one connection, all jobs of one round of the event loop per transaction."""

    __slots__ = ("_checkpointer", "_committed", "_conn", "_engine", "_fold_due", "_fold_from",
                 "_folding", "_last_commit", "_name", "_pending", "_restart_pages", "_stop")

    def __init__(self, engine: Engine, name: str, *, restart_pages: int = WAL_RESTART_PAGES) -> None:
        self._engine = engine
        self._name = name
        self._restart_pages = restart_pages
        self._conn: Connection | None = None
        self._pending: list[Job] = []
        self._checkpointer: threading.Thread | None = None
        self._committed = threading.Event()
        self._stop = threading.Event()
        #: Set by the checkpoint thread: the log is long, let it start over.
        self._fold_due = threading.Event()
        self._fold_from = restart_pages  # doubled after a fold that could not finish
        self._folding: asyncio.Task[None] | None = None
        self._last_commit = float("-inf")  # loop time of the last round

    async def start(self) -> None:
        """Open the connection (and the checkpoint thread for a WAL file)."""
        conn = self._engine.connect()
        try:
            _sqlite3(conn).execute("PRAGMA wal_autocheckpoint=0")
            _sqlite3(conn).execute(f"PRAGMA journal_size_limit={WAL_FILE_LIMIT}")
            wal = _is_wal(conn)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        if wal:
            self._checkpointer = threading.Thread(
                target=self._checkpoints, name=f"{self._name} checkpoints", daemon=True
            )
            self._checkpointer.start()

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` in a transaction; its return value once committed.

        ``work`` may run a second time, alone, when another job of its batch failed:
        keep it to statements on the connection (and results read from them).
        """
        if self._conn is None:
            raise RuntimeError(f"{self._name} is not running")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if not self._pending:
            call_after_gap(self._last_commit, self._commit_round)
        self._pending.append(Job(work, future))
        return await future

    async def close(self) -> None:
        """Commit what was handed over, stop checkpointing, fold the log in and close."""
        if self._folding is not None:
            await self._folding
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._pending:
            self._commit_round(conn)
        self._stop.set()
        self._committed.set()
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.join)
            _sqlite3(conn).execute("PRAGMA wal_checkpoint(TRUNCATE)")  # leaves a small file behind
        conn.close()

    # --- one round ---------------------------------------------------------------------------

    def _commit_round(self, conn: Connection | None = None) -> None:
        if conn is None and self._fold_due.is_set() and self._conn is not None:
            # Held back (jobs keep joining) until the log is copied in; see the module doc.
            if self._folding is None:
                self._folding = asyncio.get_running_loop().create_task(self._fold_then_commit())
            return
        conn = conn or self._conn
        batch, self._pending = self._pending, []
        if not batch:  # close() committed them already
            return
        self._last_commit = asyncio.get_running_loop().time()
        if conn is None:
            outcomes: list[Outcome] = [(False, RuntimeError(f"{self._name} is closed"))] * len(batch)
        else:
            outcomes = self._run_batch(conn, batch)
        settle(batch, outcomes)

    def _run_batch(self, conn: Connection, batch: list[Job]) -> list[Outcome]:
        try:
            with conn.begin():
                results = run_all(conn, batch)
            self._committed.set()
            return results
        except Exception as exc:  # every job gets its own outcome below
            if len(batch) == 1:
                return [(False, exc)]
        return [self._run_batch(conn, [job])[0] for job in batch]

    async def _fold_then_commit(self) -> None:
        folded = False
        try:
            folded = await asyncio.to_thread(self._fold_log)
            if not folded:
                log.warning("%s: the log could not be copied in completely (a reader in another "
                            "process?); it grows on for now", self._name)
        except Exception as exc:  # noqa: BLE001 - commits go on; the next fold tries again
            log.warning("%s: folding the log failed: %s", self._name, type(exc).__name__)
        finally:
            self._fold_from = self._restart_pages if folded else 2 * self._fold_from
            self._fold_due.clear()
            self._folding = None
            if self._pending:
                self._commit_round()

    def _fold_log(self) -> bool:
        """Copy the whole log into the file while no commit comes (True: it is all there)."""
        conn = self._engine.connect()
        try:
            deadline = time.monotonic() + FOLD_PATIENCE
            while True:
                _busy, pages, copied = _checkpoint(conn)
                if copied >= pages >= 0 or time.monotonic() > deadline:
                    return copied >= pages >= 0
                time.sleep(0.005)  # the checkpoint thread is copying: it is nearly done
        finally:
            conn.close()

    # --- the checkpoint thread ---------------------------------------------------------------

    def _checkpoints(self) -> None:
        """Fold the log into the database now and then, beside the writer, never in its way."""
        conn = self._engine.connect()
        try:
            while not self._stop.is_set():
                self._committed.wait()
                if self._stop.wait(CHECKPOINT_EVERY):
                    break
                self._committed.clear()
                try:
                    _busy, pages, _copied = _checkpoint(conn)
                    if pages >= self._fold_from:
                        self._fold_due.set()
                except Exception as exc:  # noqa: BLE001 - the next one tries again
                    log.warning("%s: checkpoint failed: %s", self._name, type(exc).__name__)
        finally:
            conn.close()


def _checkpoint(conn: Connection) -> tuple[int, int, int]:
    """A passive checkpoint: (busy, pages in the log, pages copied into the file)."""
    busy, pages, copied = _sqlite3(conn).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(pages), int(copied)


def _sqlite3(conn: Connection) -> Any:
    """The driver's own connection: PRAGMAs outside any transaction SQLAlchemy would begin."""
    return conn.connection.driver_connection


def _is_wal(conn: Connection) -> bool:
    return str(_sqlite3(conn).execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
