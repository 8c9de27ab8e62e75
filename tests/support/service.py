"""Run a real Praatmee service in a test: embedded defaults or Redis + PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.service import Service

NLU_CACHE = Path(__file__).resolve().parents[2] / "var" / "test-nlu-cache"


def settings_for(
    backend: str, data_dir: Path, request: pytest.FixtureRequest | None = None, **overrides: Any
) -> Settings:
    """Settings for ``backend``: "embedded" (SQLite + SQLite state) or "redis-pg"."""
    base: dict[str, Any] = {
        "data_dir": data_dir,
        "nlu_backend": "keywords",
        "nlu_cache_dir": NLU_CACHE,
        "port": 0,
        "_env_file": None,
    }
    if backend == "redis-pg":
        assert request is not None
        base["database_url"] = request.getfixturevalue("postgres_url")
        base["redis_url"] = request.getfixturevalue("redis_url")
        base["redis_prefix"] = request.getfixturevalue("redis_prefix")
    elif backend != "embedded":
        raise ValueError(backend)
    base.update(overrides)
    return Settings(**base)


@asynccontextmanager
async def running(settings: Settings, clock: Callable[[], datetime] | None = None) -> AsyncIterator[tuple[Service, TestClient]]:
    """A service behind a real HTTP server on 127.0.0.1, with a client for it."""
    service = Service(settings, clock=clock) if clock else Service(settings)
    client = TestClient(TestServer(service.app()))
    try:
        await client.start_server()
        yield service, client
    finally:
        await client.close()


class Chat:
    """One web chat participant."""

    def __init__(self, client: TestClient, session: str | None = None) -> None:
        self.client = client
        self.session = session or "t" + secrets.token_hex(12)
        self.last: list[dict[str, Any]] = []
        self._n = 0

    async def send(self, **body: Any) -> list[dict[str, Any]]:
        if "id" not in body:
            self._n += 1
            body["id"] = f"msg{self._n}-{secrets.token_hex(4)}"
        resp = await self.client.post("/api/webchat/messages", json={"session": self.session, **body})
        data = await resp.json()
        assert resp.status == 200, data
        self.last = data["messages"]
        return self.last

    def option(self, suffix: str) -> str:
        """The id of the last message's option whose id ends with ``suffix`` (e.g. ".yes")."""
        options = self.last[-1]["options"]
        for o in options:
            if o["id"] == suffix or o["id"].endswith("." + suffix):
                return str(o["id"])
        raise AssertionError(f"no option {suffix!r} in {options}")

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.last)
