"""State stores: one contract, three backends (memory, SQLite file, Redis)."""

from bot.stores.state.base import StateStore
from bot.stores.state.memory import MemoryStateStore
from bot.stores.state.redis import RedisStateStore
from bot.stores.state.sqlite import SqliteStateStore

__all__ = ["MemoryStateStore", "RedisStateStore", "SqliteStateStore", "StateStore"]
