"""State in a SQLite file inside the process: the embedded default.

It survives a restart (a participant half-way a dialogue continues at the same
step), needs no server, and serves one process: locks are in-process.
WAL mode with ``synchronous=NORMAL`` keeps each write cheap while a crash of the
process (not of the machine) loses nothing.
"""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

import aiosqlite

from bot.errors import StoreUnavailable
from bot.keyed_locks import KeyedLocks

__all__ = ["SqliteStateStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL);
CREATE TABLE IF NOT EXISTS lists (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
                                  value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS lists_key ON lists (key, id);
"""


class SqliteStateStore:
    name = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        self._locks = KeyedLocks()

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStateStore:
        """Open (and create) the store at ``path``; ``":memory:"`` for a private one."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(str(path), isolation_level=None)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.executescript(_SCHEMA)
        except Exception as exc:  # sqlite3.Error and OSError alike
            raise StoreUnavailable(f"state store at {path} cannot be opened: {exc}") from exc
        return cls(db)

    # Reads use execute_fetchall: one trip to the connection's thread instead of three
    # (execute, fetch, close), which is most of a read's cost under load.

    async def get(self, key: str) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)",
            (key, time.time()),
        )
        for row in rows:
            return str(row[0])
        return None

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        expires = time.time() + ttl.total_seconds() if ttl else None
        await self._db.execute(
            "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, value, expires),
        )

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        now = time.time()
        expires = now + ttl.total_seconds() if ttl else None
        cur = await self._db.execute(
            "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE kv.expires IS NOT NULL AND kv.expires <= ?",
            (key, value, expires, now),
        )
        return cur.rowcount == 1

    async def delete(self, *keys: str) -> None:
        for key in keys:
            await self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
            await self._db.execute("DELETE FROM lists WHERE key = ?", (key,))

    async def push(self, key: str, value: str) -> None:
        await self._db.execute("INSERT INTO lists (key, value) VALUES (?, ?)", (key, value))

    async def drain(self, key: str) -> list[str]:
        rows = await self._db.execute_fetchall("DELETE FROM lists WHERE key = ? RETURNING id, value", (key,))
        return [str(v) for _, v in sorted(rows)]

    def lock(self, key: str, timeout: timedelta = timedelta(seconds=30)) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(key, timeout.total_seconds())

    async def keys(self, prefix: str) -> list[str]:
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        async with self._db.execute(
            "SELECT key FROM kv WHERE key LIKE ? ESCAPE '\\' AND (expires IS NULL OR expires > ?) "
            "UNION SELECT key FROM lists WHERE key LIKE ? ESCAPE '\\'",
            (pattern, time.time(), pattern),
        ) as cur:
            return sorted(str(r[0]) for r in await cur.fetchall())

    async def ping(self) -> None:
        try:
            await self._db.execute("SELECT 1")
        except Exception as exc:
            raise StoreUnavailable(f"state store: {exc}") from exc

    async def purge_expired(self) -> int:
        """Delete expired keys; the service calls this now and then."""
        cur = await self._db.execute("DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?", (time.time(),))
        return cur.rowcount

    async def close(self) -> None:
        await self._db.close()
