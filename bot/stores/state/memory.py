"""State kept in this process only: fast, and gone when the process stops.

For tests, benchmarks and throw-away demos (``PRAATMEE_STATE_STORE=memory``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from bot.keyed_locks import KeyedLocks

__all__ = ["MemoryStateStore"]


class MemoryStateStore:
    name = "memory"

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float | None]] = {}
        self._lists: dict[str, list[str]] = {}
        self._locks = KeyedLocks()

    def _live(self, key: str) -> str | None:
        item = self._values.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.time():
            del self._values[key]
            return None
        return value

    async def get(self, key: str) -> str | None:
        return self._live(key)

    def _put(self, key: str, value: str, ttl: timedelta | None) -> float | None:
        """Store in memory; the expiry (Unix seconds) or None."""
        expires = time.time() + ttl.total_seconds() if ttl else None
        self._values[key] = (value, expires)
        return expires

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        self._put(key, value, ttl)

    async def set_many(self, items: Sequence[tuple[str, str, timedelta | None]]) -> None:
        for key, value, ttl in items:
            self._put(key, value, ttl)

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        if self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._values.pop(key, None)
            self._lists.pop(key, None)

    async def push(self, key: str, value: str) -> None:
        self._lists.setdefault(key, []).append(value)

    async def drain(self, key: str) -> list[str]:
        return self._lists.pop(key, [])

    def lock(self, key: str, timeout: timedelta = timedelta(seconds=30)) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(key, timeout.total_seconds())

    async def keys(self, prefix: str) -> list[str]:
        found = [k for k in list(self._values) if k.startswith(prefix) and self._live(k) is not None]
        return sorted({*found, *(k for k in self._lists if k.startswith(prefix))})

    async def purge_expired(self) -> int:
        now = time.time()
        expired = [k for k, (_, e) in self._values.items() if e is not None and e <= now]
        for key in expired:
            del self._values[key]
        return len(expired)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
