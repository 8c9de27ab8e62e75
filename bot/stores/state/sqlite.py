"""State in this process, mirrored to a SQLite file: the embedded default.

Reads come from memory (the in-process store); every change is written through to
the file before the call returns, so a restart loses nothing and a participant
half-way a dialogue continues at the same step. The changes of one round of the
event loop are committed together (:mod:`bot.stores.sqlite_writer`).
It serves one process: locks are in-process. WAL with ``synchronous=NORMAL`` keeps
a write cheap while a crash of the process (not of the machine) loses nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreUnavailable
from bot.stores.sql.database import sqlite_engine
from bot.stores.sqlite_writer import SqliteWriter
from bot.stores.state.memory import MemoryStateStore

__all__ = ["SqliteStateStore"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL)",
    "CREATE TABLE IF NOT EXISTS lists (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS lists_key ON lists (key, id)",
)
_UPSERT = (
    "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires"
)


def _load(conn: Connection) -> tuple[dict[str, tuple[str, float | None]], dict[str, list[str]]]:
    for statement in _SCHEMA:
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql("DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?", (time.time(),))
    values = {str(k): (str(v), e) for k, v, e in conn.exec_driver_sql("SELECT key, value, expires FROM kv")}
    lists: dict[str, list[str]] = {}
    for key, value in conn.exec_driver_sql("SELECT key, value FROM lists ORDER BY id"):
        lists.setdefault(str(key), []).append(str(value))
    return values, lists


class SqliteStateStore(MemoryStateStore):
    name = "sqlite"

    def __init__(self, writer: SqliteWriter) -> None:
        super().__init__()
        self._writer = writer

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStateStore:
        """Open (and create) the store at ``path``; ``":memory:"`` for a private one."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        writer = SqliteWriter(sqlite_engine(f"sqlite+pysqlite:///{path}"), name=f"state-writer {path}")
        try:
            await writer.start()
            values, lists = await writer.run(_load)
        except (SQLAlchemyError, OSError) as exc:
            await writer.close()
            raise StoreUnavailable(f"state store at {path} cannot be opened: {exc}") from exc
        store = cls(writer)
        store._values, store._lists = values, lists
        return store

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        expires = self._put(key, value, ttl)
        await self._writer.run(lambda conn: conn.exec_driver_sql(_UPSERT, (key, value, expires)))

    async def set_many(self, items: Sequence[tuple[str, str, timedelta | None]]) -> None:
        rows = [(key, value, self._put(key, value, ttl)) for key, value, ttl in items]
        await self._writer.run(lambda conn: conn.exec_driver_sql(_UPSERT, rows))

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        if not await super().add(key, value, ttl):
            return False
        expires = self._values[key][1]
        await self._writer.run(lambda conn: conn.exec_driver_sql(_UPSERT, (key, value, expires)))
        return True

    async def delete(self, *keys: str) -> None:
        await super().delete(*keys)
        params = [(k,) for k in keys]

        def work(conn: Connection) -> None:
            conn.exec_driver_sql("DELETE FROM kv WHERE key = ?", params)
            conn.exec_driver_sql("DELETE FROM lists WHERE key = ?", params)

        if params:
            await self._writer.run(work)

    async def push(self, key: str, value: str) -> None:
        await super().push(key, value)
        await self._writer.run(lambda conn: conn.exec_driver_sql(
            "INSERT INTO lists (key, value) VALUES (?, ?)", (key, value)))

    async def drain(self, key: str) -> list[str]:
        drained = await super().drain(key)
        if drained:
            await self._writer.run(lambda conn: conn.exec_driver_sql("DELETE FROM lists WHERE key = ?", (key,)))
        return drained

    async def ping(self) -> None:
        try:
            await self._writer.run(lambda conn: conn.exec_driver_sql("SELECT 1").all())
        except (SQLAlchemyError, OSError, RuntimeError) as exc:
            raise StoreUnavailable(f"state store: {exc}") from exc

    async def purge_expired(self) -> int:
        """Forget expired keys, in memory and in the file; the service calls this now and then."""
        now = time.time()
        purged = await super().purge_expired()
        await self._writer.run(
            lambda conn: conn.exec_driver_sql("DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?", (now,))
        )
        return purged

    async def close(self) -> None:
        await self._writer.close()
