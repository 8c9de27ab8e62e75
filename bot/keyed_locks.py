"""In-process keyed locks: one asyncio.Lock per key (participants, recipients)."""

from __future__ import annotations

import asyncio
from types import TracebackType

__all__ = ["KeyedLocks"]


class KeyedLocks:
    """One asyncio.Lock per key, dropped again when nobody holds or waits for it."""

    __slots__ = ("_locks",)

    def __init__(self) -> None:
        #: key -> [lock, holders and waiters]
        self._locks: dict[str, list[asyncio.Lock | int]] = {}

    def hold(self, key: str, timeout: float) -> _Hold:
        """``async with locks.hold(key, timeout)``; TimeoutError when it stays taken that long."""
        return _Hold(self._locks, key, timeout)


class _Hold:
    """The context manager of :meth:`KeyedLocks.hold`.

    A free lock is taken without arming a timer: on the hot path (every inbound
    message takes one) the timeout costs more than the rest of the lock.
    """

    __slots__ = ("_key", "_locks", "_timeout")

    def __init__(self, locks: dict[str, list[asyncio.Lock | int]], key: str, timeout: float) -> None:
        self._locks = locks
        self._key = key
        self._timeout = timeout

    async def __aenter__(self) -> None:
        entry = self._locks.get(self._key)
        if entry is None:
            entry = self._locks[self._key] = [asyncio.Lock(), 0]
        entry[1] += 1  # type: ignore[operator]
        lock: asyncio.Lock = entry[0]  # type: ignore[assignment]
        try:
            if lock.locked():
                async with asyncio.timeout(self._timeout):
                    await lock.acquire()
            else:
                await lock.acquire()
        except BaseException:
            self._leave(entry)
            raise

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        entry = self._locks[self._key]
        entry[0].release()  # type: ignore[union-attr]
        self._leave(entry)

    def _leave(self, entry: list[asyncio.Lock | int]) -> None:
        entry[1] -= 1  # type: ignore[operator]
        if not entry[1]:
            del self._locks[self._key]
