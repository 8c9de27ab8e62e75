"""The SQL database every SQL store test runs against: SQLite and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.stores.sql import Database


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/insights.sqlite"
    else:
        url = request.getfixturevalue("postgres_url")
    database = await Database.open(url)
    yield database
    await database.close()
