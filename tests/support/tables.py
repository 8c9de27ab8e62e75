"""Reading the SQL database directly in tests: one table's rows, or every table at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, MetaData, Table, select

from bot.stores.sql import Database

__all__ = ["all_rows", "rows"]


async def rows(db: Database, table: Table) -> list[dict[str, Any]]:
    """Every row of ``table`` as a dict."""
    return await db.run(lambda conn: [dict(r) for r in conn.execute(select(table)).mappings().all()])


async def all_rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the database (reflected, so tables added later count too)."""

    def work(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        reflected = MetaData()
        reflected.reflect(conn)
        return {t.name: [tuple(r) for r in conn.execute(select(t)).all()] for t in reflected.sorted_tables}

    return await db.run(work)
