"""One contract, run against every state store backend (Redis against a real server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import StoreUnavailable
from bot.stores.state import MemoryStateStore, RedisStateStore, SqliteStateStore, StateStore


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    if request.param == "memory":
        s: StateStore = MemoryStateStore()
    elif request.param == "sqlite":
        s = await SqliteStateStore.open(tmp_path / "state.sqlite")
    else:
        prefix = request.getfixturevalue("redis_prefix")
        s = RedisStateStore.from_url(request.getfixturevalue("redis_url"), prefix)
    yield s
    await s.close()


async def test_set_get_delete(store: StateStore) -> None:
    assert await store.get("a") is None
    await store.set("a", "1")
    await store.set("a", "2")
    assert await store.get("a") == "2"
    await store.delete("a", "missing")
    assert await store.get("a") is None


async def test_ttl_expires(store: StateStore) -> None:
    await store.set("short", "x", ttl=timedelta(milliseconds=150))
    await store.set("long", "y", ttl=timedelta(seconds=60))
    assert await store.get("short") == "x"
    await asyncio.sleep(0.3)
    assert await store.get("short") is None
    assert await store.get("long") == "y"


async def test_add_only_once_until_expired(store: StateStore) -> None:
    assert await store.add("seen:1", "1", ttl=timedelta(milliseconds=200))
    assert not await store.add("seen:1", "1")
    await asyncio.sleep(0.35)
    assert await store.add("seen:1", "2")
    assert await store.get("seen:1") == "2"


async def test_add_is_atomic_under_concurrency(store: StateStore) -> None:
    results = await asyncio.gather(*(store.add("race", str(i)) for i in range(20)))
    assert sum(results) == 1


async def test_lists_drain_in_order(store: StateStore) -> None:
    for i in range(5):
        await store.push("box", f"m{i}")
    assert await store.drain("box") == ["m0", "m1", "m2", "m3", "m4"]
    assert await store.drain("box") == []


async def test_keys_by_prefix(store: StateStore) -> None:
    await store.set("p:abc:state", "1")
    await store.push("p:abc:box", "x")
    await store.set("p:abd:state", "1")
    await store.set("p_abc", "1")
    assert await store.keys("p:abc:") == ["p:abc:box", "p:abc:state"]
    await store.delete("p:abc:state", "p:abc:box")
    assert await store.keys("p:abc:") == []


async def test_lock_serialises_holders(store: StateStore) -> None:
    inside = 0
    peak = 0

    async def worker() -> None:
        nonlocal inside, peak
        async with store.lock("participant"):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(worker() for _ in range(8)))
    assert peak == 1


async def test_lock_on_other_keys_does_not_block(store: StateStore) -> None:
    async with store.lock("one"):
        async with asyncio.timeout(2):
            async with store.lock("two"):
                pass


async def test_ping(store: StateStore) -> None:
    await store.ping()


async def test_unreachable_redis_fails_visibly() -> None:
    store = RedisStateStore.from_url("redis://127.0.0.1:1/0", "x:")
    with pytest.raises(StoreUnavailable):
        await store.ping()
    with pytest.raises(StoreUnavailable):
        await store.get("a")
    await store.close()


async def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    s = await SqliteStateStore.open(tmp_path / "s.sqlite")
    await s.set("state:p", '{"step":"q2"}')
    await s.close()
    s = await SqliteStateStore.open(tmp_path / "s.sqlite")
    assert await s.get("state:p") == '{"step":"q2"}'
    await s.close()


async def test_purge_expired_forgets_only_expired_keys(store: StateStore) -> None:
    await store.set("old", "x", ttl=timedelta(milliseconds=100))
    await store.set("fresh", "y", ttl=timedelta(seconds=60))
    await store.set("forever", "z")
    await asyncio.sleep(0.25)
    await store.purge_expired()
    assert await store.keys("") == ["forever", "fresh"]
    assert await store.get("fresh") == "y"


async def test_sqlite_reopen_keeps_lists_and_drops_what_expired(tmp_path: Path) -> None:
    s = await SqliteStateStore.open(tmp_path / "s.sqlite")
    await s.push("mailbox:a", "1")
    await s.push("mailbox:a", "2")
    await s.push("mailbox:b", "3")
    assert await s.drain("mailbox:b") == ["3"]
    await s.set("seen:x", "1", ttl=timedelta(milliseconds=100))
    assert await s.add("seen:y", "1", ttl=timedelta(seconds=60))
    await s.delete("gone")
    await s.close()
    await asyncio.sleep(0.2)
    s = await SqliteStateStore.open(tmp_path / "s.sqlite")
    assert await s.drain("mailbox:a") == ["1", "2"]
    assert await s.drain("mailbox:b") == []
    assert await s.keys("seen:") == ["seen:y"]
    assert not await s.add("seen:y", "2")
    await s.close()
    s = await SqliteStateStore.open(tmp_path / "s.sqlite")
    assert await s.keys("mailbox:") == []
    await s.close()


async def test_set_many_stores_every_key_with_its_own_expiry(store: StateStore) -> None:
    await store.set("state:p", "old")
    await store.set_many([("state:p", "new", None), ("seen:m", "1", timedelta(milliseconds=150))])
    assert (await store.get("state:p"), await store.get("seen:m")) == ("new", "1")
    await asyncio.sleep(0.3)
    assert (await store.get("state:p"), await store.get("seen:m")) == ("new", None)
