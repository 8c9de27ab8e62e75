"""The PostgreSQL writer commits the jobs of a busy moment together, yet each caller gets
its own outcome, as if it had had a transaction of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import StoreUnavailable
from bot.stores.postgres_writer import STATEMENTS_IN_FLIGHT, PostgresWriter
from bot.stores.sql.database import Database


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(postgres_url, pool_size=5)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    yield engine
    await engine.dispose()


def _insert(n: int, *, fail: bool = False) -> Callable[[Connection], int]:
    def work(conn: Connection) -> int:
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (%s)" % n)  # noqa: S608 - a test's integer
        if fail:
            raise ValueError(f"job {n} failed after its insert")
        return n

    return work


def _stored(conn: Connection) -> list[int]:
    return [r[0] for r in conn.exec_driver_sql("SELECT n FROM t ORDER BY n")]


async def test_a_failing_job_rolls_back_only_itself(engine: AsyncEngine) -> None:
    writer = PostgresWriter(engine)
    outcomes = await asyncio.gather(*(writer.run(_insert(n, fail=n == 7)) for n in range(40)),
                                    return_exceptions=True)
    assert [o.args for o in outcomes if isinstance(o, Exception)] == [("job 7 failed after its insert",)]
    assert [o for o in outcomes if not isinstance(o, Exception)] == [n for n in range(40) if n != 7]
    assert await writer.run(_stored) == [n for n in range(40) if n != 7]
    # A database error spoils a PostgreSQL transaction: still only its own job fails.
    again = await asyncio.gather(writer.run(_insert(100)), writer.run(_insert(3)), writer.run(_insert(101)),
                                 return_exceptions=True)
    assert again[0] == 100 and again[2] == 101 and "duplicate key" in str(again[1])
    await writer.close()


async def test_jobs_of_a_busy_moment_share_few_commits(engine: AsyncEngine) -> None:
    commits: list[Any] = []
    event.listen(engine.sync_engine, "commit", commits.append)
    writer = PostgresWriter(engine, in_flight=2)
    assert await asyncio.gather(*(writer.run(_insert(n)) for n in range(300))) == list(range(300))
    assert 1 <= len(commits) <= 10  # 300 transactions' worth of work in a handful of commits
    assert await writer.run(_stored) == list(range(300))
    # Quiet: a lone job is committed at once, on its own.
    before = len(commits)
    assert await writer.run(_insert(1000)) == 1000
    assert len(commits) == before + 1
    await writer.close()


async def test_close_waits_for_jobs_in_flight(engine: AsyncEngine) -> None:
    writer = PostgresWriter(engine)
    pending = [asyncio.ensure_future(writer.run(_insert(n))) for n in range(20)]
    await asyncio.sleep(0)
    await writer.close()
    assert all(p.done() for p in pending)
    assert await asyncio.gather(*pending) == list(range(20))


async def test_a_connection_the_server_closed_is_replaced_without_failing_a_job(
    engine: AsyncEngine, postgres_url: str
) -> None:
    """No pre-ping: a batch that meets a dead pooled connection runs again on a fresh one."""
    writer = PostgresWriter(engine, in_flight=1)
    assert await writer.run(_insert(1)) == 1  # the pool now holds an open connection
    other = create_async_engine(postgres_url)
    async with other.begin() as conn:  # as a server restart or an idle timeout would
        killed = (await conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    await other.dispose()
    assert killed >= 1
    assert await writer.run(_insert(2)) == 2  # one job alone: no other job to fall back on
    assert await writer.run(_stored) == [1, 2]
    await writer.close()


def _statement(n: int) -> Callable[[], tuple[str, list[Any]]]:
    return lambda: ("INSERT INTO t (n) VALUES ($1)", [n])


async def test_a_statement_run_alone_is_durable_at_once_and_apart_from_the_batches(
    engine: AsyncEngine,
) -> None:
    """The webhook's write: committed by itself, and not sharing the fate of a batch beside it."""
    writer = PostgresWriter(engine)
    await writer.start()
    failing = asyncio.ensure_future(writer.run(_insert(5, fail=True)))
    await asyncio.sleep(0)  # its batch is under way
    assert await writer.run_statement(_statement(6)) == "INSERT 0 1"
    with pytest.raises(ValueError, match="job 5 failed"):
        await failing
    other = create_async_engine(str(engine.url.render_as_string(hide_password=False)))
    async with other.connect() as conn:  # seen from another connection: committed
        assert [r[0] for r in await conn.exec_driver_sql("SELECT n FROM t")] == [6]
    await other.dispose()
    # A statement that fails changes nothing, and says why.
    with pytest.raises(Exception, match="duplicate key"):
        await writer.run_statement(_statement(6))
    assert await writer.run(_stored) == [6]
    await writer.close()


async def test_statements_wait_for_a_connection_and_are_built_once_they_have_one(
    engine: AsyncEngine,
) -> None:
    """Only a few run at once; one that waits is built when its turn comes (so what gathers
    for it meanwhile goes with it)."""
    writer = PostgresWriter(engine)
    await writer.start()
    built: list[int] = []

    def statement(n: int) -> Callable[[], tuple[str, list[Any]]]:
        def build() -> tuple[str, list[Any]]:
            built.append(n)
            return "INSERT INTO t (n) SELECT $1::integer FROM pg_sleep(0.5)", [n]
        return build

    runs = [asyncio.ensure_future(writer.run_statement(statement(n))) for n in range(STATEMENTS_IN_FLIGHT + 2)]
    for _ in range(40):  # until the pool's connections are open and busy (a busy machine: slower)
        if len(built) == STATEMENTS_IN_FLIGHT:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the first ones still sleep in the server
    assert len(built) == STATEMENTS_IN_FLIGHT  # the rest wait for a connection, unbuilt
    await asyncio.gather(*runs)
    assert sorted(built) == list(range(STATEMENTS_IN_FLIGHT + 2))
    assert await writer.run(_stored) == list(range(STATEMENTS_IN_FLIGHT + 2))
    await writer.close()


async def test_a_statement_meets_a_dead_pooled_connection_and_runs_on_a_fresh_one(
    engine: AsyncEngine, postgres_url: str
) -> None:
    writer = PostgresWriter(engine)
    await writer.start()
    assert await writer.run_statement(_statement(1)) == "INSERT 0 1"
    other = create_async_engine(postgres_url)
    async with other.begin() as conn:
        killed = (await conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    await other.dispose()
    assert killed >= 1
    assert await writer.run_statement(_statement(2)) == "INSERT 0 1"
    assert await writer.run(_stored) == [1, 2]
    await writer.close()


@pytest.mark.parametrize("problem", ["nobody listens", "no such database"])
async def test_a_database_it_cannot_open_is_reported_as_unavailable(postgres_url: str, problem: str) -> None:
    """The statements' pool connects at open: a server away or a wrong name is a clear
    StoreUnavailable then, not an error on the first webhook."""
    url = make_url(postgres_url)
    url = url.set(port=1) if problem == "nobody listens" else url.set(database="praatmee_does_not_exist")
    with pytest.raises(StoreUnavailable, match="praatmee_does_not_exist" if problem != "nobody listens" else "database"):
        await Database.open(url.render_as_string(hide_password=False))
