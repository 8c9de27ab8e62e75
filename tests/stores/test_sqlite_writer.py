"""The SQLite writer commits many jobs together, yet each caller gets its own outcome."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Connection, event

from bot.stores.sql.database import sqlite_engine
from bot.stores.jobs import COMMIT_GAP
from bot.stores.sqlite_writer import SqliteWriter


async def test_a_failing_job_rolls_back_only_itself(tmp_path: Path) -> None:
    writer = SqliteWriter(sqlite_engine(f"sqlite+pysqlite:///{tmp_path / 'w.sqlite'}"), name="test-writer")
    await writer.start()
    await writer.run(lambda conn: conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY)"))

    def insert(n: int, fail: bool = False) -> int:
        def work(conn: Connection) -> int:
            conn.exec_driver_sql("INSERT INTO t (n) VALUES (?)", (n,))
            if fail:
                raise ValueError(f"job {n} failed after its insert")
            return n

        return work  # type: ignore[return-value]

    jobs = [writer.run(insert(n, fail=n == 7)) for n in range(40)]  # type: ignore[arg-type]
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert [o for o in outcomes if isinstance(o, Exception)][0].args == ("job 7 failed after its insert",)
    assert [o for o in outcomes if not isinstance(o, Exception)] == [n for n in range(40) if n != 7]
    stored = await writer.run(lambda conn: [r[0] for r in conn.exec_driver_sql("SELECT n FROM t ORDER BY n")])
    assert stored == [n for n in range(40) if n != 7]
    await writer.close()
    with pytest.raises(RuntimeError):
        await writer.run(lambda conn: None)


async def test_jobs_of_a_busy_moment_share_commits_and_a_quiet_one_is_committed_at_once(
    tmp_path: Path,
) -> None:
    engine = sqlite_engine(f"sqlite+pysqlite:///{tmp_path / 'w.sqlite'}")
    commits: list[object] = []
    event.listen(engine, "commit", commits.append)
    writer = SqliteWriter(engine, name="test-writer")
    await writer.start()
    await writer.run(lambda conn: conn.exec_driver_sql("CREATE TABLE t (n INTEGER)"))
    before = len(commits)
    # Five rounds of the loop, a job in each, as webhooks arrive one by one under load.
    jobs = []
    for n in range(5):
        jobs.append(asyncio.ensure_future(writer.run(
            lambda conn, n=n: conn.exec_driver_sql("INSERT INTO t (n) VALUES (?)", (n,)))))
        await asyncio.sleep(0)
    await asyncio.gather(*jobs)
    assert len(commits) - before < 5  # not one commit per round: they shared
    await asyncio.sleep(2 * COMMIT_GAP)
    before = len(commits)
    lone = asyncio.ensure_future(writer.run(lambda conn: conn.exec_driver_sql("INSERT INTO t (n) VALUES (9)")))
    for _ in range(3):  # the job is handed over, committed, and its caller resumes
        await asyncio.sleep(0)
    assert lone.done() and len(commits) == before + 1  # quiet: in the round it came, no waiting
    count = await writer.run(lambda conn: conn.exec_driver_sql("SELECT count(*) FROM t").scalar())
    assert count == 6
    await writer.close()


async def test_opening_an_impossible_file_fails_at_start(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    writer = SqliteWriter(sqlite_engine(f"sqlite+pysqlite:///{tmp_path / 'dir'}"), name="test-writer")
    with pytest.raises(Exception, match="unable to open"):
        await writer.start()
        await writer.run(lambda conn: conn.exec_driver_sql("CREATE TABLE t (n INTEGER)"))


async def test_the_log_is_folded_into_the_file_beside_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    writer = SqliteWriter(sqlite_engine(f"sqlite+pysqlite:///{path}"), name="test-writer")
    await writer.start()
    await writer.run(lambda conn: conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT)"))
    empty = path.stat().st_size
    await asyncio.gather(*(
        writer.run(lambda conn, n=n: conn.exec_driver_sql("INSERT INTO t VALUES (?, ?)", (n, "x" * 200)))
        for n in range(3000)
    ))
    # The writer itself never checkpoints; the checkpoint thread does within a second or so.
    for _ in range(40):
        if path.stat().st_size > empty + 300_000:
            break
        await asyncio.sleep(0.1)
    assert path.stat().st_size > empty + 300_000
    await writer.close()
    wal = tmp_path / "w.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0


async def test_under_steady_writes_the_log_starts_over_instead_of_growing(tmp_path: Path) -> None:
    """A busy service's log would grow without end: every commit lands while the last is copied."""
    path = tmp_path / "w.sqlite"
    writer = SqliteWriter(sqlite_engine(f"sqlite+pysqlite:///{path}"), name="test-writer",
                          restart_pages=256)
    await writer.start()
    await writer.run(lambda conn: conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, s BLOB)"))
    wal = tmp_path / "w.sqlite-wal"
    written, largest, n = 0, 0, 0
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 30
    while written < 48_000_000 and loop.time() < give_up:  # a commit every few ms, as in a burst
        jobs = [writer.run(lambda conn, n=n + i: conn.exec_driver_sql(
            "INSERT INTO t VALUES (?, ?)", (n, bytes(3000)))) for i in range(20)]
        await asyncio.gather(*jobs)
        n += len(jobs)
        written += 3000 * len(jobs)
        largest = max(largest, wal.stat().st_size)
        await asyncio.sleep(0.005)
    assert written >= 48_000_000
    # It started over about once a second (the checkpoint thread's pace); growing, it
    # would hold every page written.
    assert largest < 24_000_000
    count = await writer.run(lambda conn: conn.exec_driver_sql("SELECT count(*) FROM t").scalar())
    assert count == n  # nothing was lost while commits were held back
    await writer.close()
