"""Database jobs handed to a writer that commits many of them together.

A job is a plain function of a SQLAlchemy :class:`~sqlalchemy.Connection`, its caller's
future, and nothing else. Both writers (:mod:`bot.stores.sqlite_writer`,
:mod:`bot.stores.postgres_writer`) run a batch of jobs in one transaction; when one job
raises, the batch is rolled back and every job runs again alone, so each caller gets its
own outcome, as if it had had a transaction of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

__all__ = ["COMMIT_GAP", "Job", "Outcome", "call_after_gap", "run_all", "settle"]

#: Least time between two commits a writer starts. Under load, the jobs of several rounds
#: of the loop share one (what a commit costs, SQLAlchemy's bookkeeping and a round trip
#: more than the database's own work, is then paid a few hundred times a second, not
#: once per webhook); when quiet, a job is committed in the round it came.
COMMIT_GAP = 0.002

#: (True, the job's result) or (False, the exception it raised).
Outcome = tuple[bool, Any]


@dataclass(slots=True)
class Job:
    work: Callable[[Connection], Any]
    future: asyncio.Future[Any]


def run_all(conn: Connection, batch: Sequence[Job]) -> list[Outcome]:
    """Every job's result, in order, on one connection inside its transaction (raises on the
    first failure: the caller rolls back and runs the jobs alone)."""
    return [(True, job.work(conn)) for job in batch]


def settle(batch: Sequence[Job], outcomes: Sequence[Outcome]) -> None:
    """Hand every caller its own outcome (a caller that gave up is skipped)."""
    for job, (ok, value) in zip(batch, outcomes, strict=True):
        if job.future.done():
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


def call_after_gap(last: float, callback: Callable[[], object]) -> None:
    """Run ``callback`` in the next round of the loop, or :data:`COMMIT_GAP` after ``last``
    (loop time of the previous commit) if that is later."""
    loop = asyncio.get_running_loop()
    due = last + COMMIT_GAP
    if due > loop.time():
        loop.call_at(due, callback)
    else:
        loop.call_soon(callback)
