"""State in Redis, shared by every Praatmee process (``PRAATMEE_REDIS_URL``).

Every key carries a prefix, so tests and several deployments can share a server.
Locks are Redis locks with a timeout, so a crashed holder never blocks a
participant for ever. Values are JSON strings, never pickle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import redis.asyncio as aioredis
from redis.exceptions import LockError, RedisError

from bot.errors import StoreUnavailable

__all__ = ["RedisStateStore"]


class RedisStateStore:
    name = "redis"

    def __init__(self, client: aioredis.Redis, prefix: str = "praatmee:") -> None:
        self._r = client
        self._p = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "praatmee:") -> RedisStateStore:
        client = aioredis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        return cls(client, prefix)

    def _k(self, key: str) -> str:
        return self._p + key

    async def get(self, key: str) -> str | None:
        try:
            value = await self._r.get(self._k(key))
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        try:
            await self._r.set(self._k(key), value, px=_ms(ttl))
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    async def set_many(self, items: Sequence[tuple[str, str, timedelta | None]]) -> None:
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                for key, value, ttl in items:
                    pipe.set(self._k(key), value, px=_ms(ttl))
                await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        try:
            return bool(await self._r.set(self._k(key), value, px=_ms(ttl), nx=True))
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            await self._r.delete(*(self._k(k) for k in keys))
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    async def push(self, key: str, value: str) -> None:
        try:
            await self._r.rpush(self._k(key), value)
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    async def drain(self, key: str) -> list[str]:
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.lrange(self._k(key), 0, -1)
                pipe.delete(self._k(key))
                values, _ = await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        return [str(v) for v in values]

    def lock(self, key: str, timeout: timedelta = timedelta(seconds=30)) -> AbstractAsyncContextManager[None]:
        return self._hold(key, timeout)

    @asynccontextmanager
    async def _hold(self, key: str, timeout: timedelta) -> AsyncIterator[None]:
        lock = self._r.lock(
            self._k("lock:" + key),
            timeout=timeout.total_seconds(),
            blocking_timeout=timeout.total_seconds(),
            sleep=0.005,
        )
        try:
            acquired = await lock.acquire()
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        if not acquired:
            raise StoreUnavailable(f"lock on {key!r} not acquired within {timeout}")
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError:
                pass  # expired while held: the timeout already freed it

    async def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        try:
            async for key in self._r.scan_iter(match=_glob_escape(self._k(prefix)) + "*", count=500):
                found.append(str(key)[len(self._p) :])
        except RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        return sorted(k for k in found if not k.startswith("lock:"))

    async def purge_expired(self) -> int:
        """Redis forgets expired keys itself."""
        return 0

    async def ping(self) -> None:
        try:
            await self._r.ping()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    async def close(self) -> None:
        await self._r.aclose()


def _ms(ttl: timedelta | None) -> int | None:
    return max(1, int(ttl.total_seconds() * 1000)) if ttl else None


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
