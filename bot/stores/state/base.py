"""The state store contract: a small key-value store with expiry, lists and locks.

It holds conversation state, de-duplication marks and web chat mailboxes, never
raw chat text. Every backend passes the same contract suite
(``tests/stores/test_state_contract.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Protocol

__all__ = ["StateStore"]


class StateStore(Protocol):
    """Async key-value store. Keys are plain strings chosen by the runtime."""

    name: str

    async def get(self, key: str) -> str | None:
        """The value, or None when missing or expired."""

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        """Store ``value``; with ``ttl`` it disappears after that time."""

    async def set_many(self, items: Sequence[tuple[str, str, timedelta | None]]) -> None:
        """Store several ``(key, value, ttl)`` at once: all of them or, on failure, none.

        The runtime saves a participant's state and the message's de-duplication mark
        together, so a crash can never leave one without the other.
        """

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        """Store only if the key is absent; True when stored (atomic)."""

    async def delete(self, *keys: str) -> None:
        """Remove keys (missing keys are fine)."""

    async def push(self, key: str, value: str) -> None:
        """Append to the list at ``key``."""

    async def drain(self, key: str) -> list[str]:
        """Return and remove the whole list at ``key``, oldest first (atomic)."""

    def lock(self, key: str, timeout: timedelta = timedelta(seconds=30)) -> AbstractAsyncContextManager[None]:
        """Mutual exclusion on ``key`` across every process that shares the store.

        A holder that dies releases the lock after ``timeout`` at the latest.
        """

    async def keys(self, prefix: str) -> list[str]:
        """Keys that start with ``prefix`` (for erasure and checks; not a hot path)."""

    async def purge_expired(self) -> int:
        """Forget expired keys now; how many. The service calls this every hour."""

    async def ping(self) -> None:
        """Raise :class:`~bot.errors.StoreUnavailable` when the store cannot be reached."""

    async def close(self) -> None:
        """Release connections."""
