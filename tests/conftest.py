"""Shared fixtures: real Redis and PostgreSQL servers, each test in its own namespace.

The servers are required, never skipped: ``.ci/run`` installs and starts them.
Addresses come from PRAATMEE_TEST_REDIS_URL and PRAATMEE_TEST_POSTGRES_URL
(defaults: the local servers on their standard ports).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
from collections.abc import Iterator

import asyncpg
import pytest
import redis

REDIS_URL = os.environ.get("PRAATMEE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("PRAATMEE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; every key under it is removed afterwards.

    Sync on purpose, so async fixtures can ask for it with ``getfixturevalue``.
    """
    prefix = f"praatmee-test:{secrets.token_hex(6)}:"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:  # pragma: no cover - a setup error, shown plainly
        pytest.fail(f"Redis at {REDIS_URL} is not reachable ({exc}); run .ci/run or start it")
    yield prefix
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    return POSTGRES_URL


def _admin(server_url: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # A thread of its own, so this works even when called from inside a running loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test (SQLAlchemy URL), dropped afterwards.

    Sync on purpose (own short event loop), so async fixtures can request it.
    """
    name = f"praatmee_test_{secrets.token_hex(5)}"
    try:
        _admin(postgres_server_url, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # pragma: no cover
        pytest.fail(f"PostgreSQL at {postgres_server_url} is not usable ({exc}); run .ci/run")
    base = postgres_server_url.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
    _admin(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def artifacts_dir() -> Iterator[os.PathLike[str]]:
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    yield path
