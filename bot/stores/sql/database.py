"""The SQL database: migrated to the newest schema at start-up, used one job at a time.

Every use is a job: a plain function of a SQLAlchemy :class:`~sqlalchemy.Connection`
that :meth:`Database.run` runs as if in a transaction of its own. On both databases the
jobs of one event-loop round are committed together (group commit): on SQLite by one
connection on the loop's thread (:mod:`bot.stores.sqlite_writer`), on PostgreSQL on a
pooled asyncpg connection, a few batches at a time (:mod:`bot.stores.postgres_writer`).
Callers never see which.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, create_engine, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import ConfigError, StoreUnavailable
from bot.stores.postgres_writer import PostgresWriter, Statement
from bot.stores.sql.sweeper import QueueSweeper
from bot.stores.sqlite_writer import SqliteWriter

__all__ = ["Database", "normalise_url", "sqlite_engine"]

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    for prefix in ("sqlite:///", "sqlite+aiosqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            return "sqlite+pysqlite:///" + url[len(prefix) :]
    if url.startswith("postgresql+asyncpg://"):
        return url
    raise ConfigError(
        "PRAATMEE_DATABASE_URL must start with postgresql:// or sqlite:/// "
        f"(got a URL starting with {url.split(':', 1)[0]!r})"
    )


def sqlite_engine(url: str) -> Any:
    """A synchronous SQLite engine for :class:`SqliteWriter`: WAL, and real transactions.

    Python's sqlite3 module opens transactions on its own and cannot do SAVEPOINT;
    with its isolation level off, SQLAlchemy's ``begin`` sends ``BEGIN IMMEDIATE``
    (the write lock at once, so another process's writer waits instead of failing).
    """
    engine = create_engine(url, poolclass=pool.NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Straight to the driver: exec_driver_sql's own events and cursor handling
        # cost more than the statement, on every commit of the writer.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]

    return engine


class Database:
    """Runs jobs in transactions. ``open`` connects and upgrades the schema with Alembic."""

    __slots__ = ("_engine", "_sweeper", "_writer", "dialect")

    def __init__(self, dialect: str, writer: SqliteWriter | PostgresWriter,
                 engine: AsyncEngine | None = None) -> None:
        self.dialect = dialect
        self._writer = writer
        self._engine = engine
        self._sweeper = QueueSweeper(engine) if engine is not None else None

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Database:
        url = normalise_url(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            writer = SqliteWriter(sqlite_engine(url), name=f"sqlite-writer {parsed.database}")
            try:
                await writer.start()
            except (SQLAlchemyError, OSError) as exc:
                raise StoreUnavailable(f"database {parsed.render_as_string(hide_password=True)}: {exc}") from exc
            db = cls("sqlite", writer)
        else:
            # No pre-ping (a round trip before every batch): the writer runs a batch again
            # on a fresh connection when its connection turns out to be dead.
            # JIT off: it pays off for long analytic queries. Here it compiled a claim whose
            # cost PostgreSQL overestimated (an inbox grown from empty faster than its
            # statistics) for 250 ms, to run a query of 2 ms, over and over.
            engine = create_async_engine(url, pool_size=10, max_overflow=10,
                                         connect_args={"server_settings": {"jit": "off"}})
            db = cls(engine.dialect.name, PostgresWriter(engine), engine)
        try:
            if isinstance(db._writer, PostgresWriter):
                await db._writer.start()
            if migrate:
                await db.upgrade()
            else:
                await db.ping()
        except (SQLAlchemyError, OSError, asyncpg.PostgresError) as exc:
            await db.close()
            raise StoreUnavailable(f"database {parsed.render_as_string(hide_password=True)}: {exc}") from exc
        return db

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` in a transaction; its result once committed.

        ``work`` holds statements only (no awaiting, no other side effects, no catching
        of database errors): it shares its transaction with other jobs, and runs a second
        time, alone, when one of them failed.
        """
        return await self._writer.run(work)

    async def run_statement(self, statement: Statement) -> str:
        """PostgreSQL: run one statement (SQL with ``$n`` and its arguments, asked for once a
        connection is in hand) and commit it at once, in one round trip, apart from the
        writer's transactions: the shortest way to durable, for a webhook's answer. On
        SQLite there is one writer and a commit is cheap: use :meth:`run` there.
        """
        if not isinstance(self._writer, PostgresWriter):
            raise TypeError("run_statement is for PostgreSQL; on SQLite use run()")
        return await self._writer.run_statement(statement)

    def churned(self, table: Table, rows: int) -> None:
        """A queue table (inbox, outbox) had ``rows`` deleted or updated: on PostgreSQL it
        is vacuumed once enough have (see :mod:`bot.stores.sql.sweeper`)."""
        if self._sweeper is not None and rows > 0:
            self._sweeper.churned(table.name, rows)

    async def swept(self) -> None:
        """Wait for a vacuum under way (tests, and before closing)."""
        if self._sweeper is not None:
            await self._sweeper.wait()

    async def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        await self.run(_upgrade)

    async def ping(self) -> None:
        try:
            await self.run(lambda conn: conn.exec_driver_sql("SELECT 1").all())
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"database: {exc}") from exc

    async def close(self) -> None:
        await self._writer.close()
        await self.swept()
        if self._engine is not None:
            await self._engine.dispose()


def _upgrade(connection: Connection) -> None:
    location = resources.files("bot.stores.sql").joinpath("migrations")
    config = Config()
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
