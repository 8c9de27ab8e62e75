"""The SQL database: one async engine, migrated to the newest schema at start-up."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import ConfigError, StoreUnavailable

__all__ = ["Database", "normalise_url"]


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigError(
        "PRAATMEE_DATABASE_URL must start with postgresql:// or sqlite:/// "
        f"(got a URL starting with {url.split(':', 1)[0]!r})"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """Owns the engine. ``open`` connects and upgrades the schema with Alembic."""

    __slots__ = ("engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Database:
        url = normalise_url(url)
        parsed = make_url(url)
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # SQLite has one writer. With a pool, concurrent transactions wait for the write
            # lock in SQLite's busy handler (sleeping up to 100 ms a try, "database is locked"
            # after busy_timeout); one connection makes them queue in asyncio instead, in order.
            # Every use ends its transaction (engine.begin/connect blocks), so the pool's
            # extra ROLLBACK on check-in is one more trip to the driver's thread for nothing.
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60, pool_reset_on_return=None)
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        engine = create_async_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        db = cls(engine)
        try:
            if migrate:
                await db.upgrade()
            else:
                await db.ping()
        except SQLAlchemyError as exc:
            await engine.dispose()
            raise StoreUnavailable(f"database {parsed.render_as_string(hide_password=True)}: {exc}") from exc
        except OSError as exc:
            await engine.dispose()
            raise StoreUnavailable(f"database {parsed.render_as_string(hide_password=True)}: {exc}") from exc
        return db

    async def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"database: {exc}") from exc

    async def close(self) -> None:
        await self.engine.dispose()


def _upgrade(connection: Connection) -> None:
    location = resources.files("bot.stores.sql").joinpath("migrations")
    config = Config()
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
