"""The SQLite writer commits many jobs together, yet each caller gets its own outcome."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Connection

from bot.stores.sql.database import sqlite_engine
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
