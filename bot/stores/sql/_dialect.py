"""Dialect-specific INSERT ... ON CONFLICT, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_ignore", "upsert"]


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_ignore(dialect: str, table: Table, key: str = "idempotency_key") -> Insert:
    """INSERT that silently skips rows whose ``key`` exists already (idempotency)."""
    return _insert(dialect, table).on_conflict_do_nothing(index_elements=[key])  # type: ignore[no-any-return]


def upsert(dialect: str, table: Table, key: str, values: dict[str, Any], update: list[str]) -> Insert:
    """INSERT, or UPDATE the ``update`` columns when ``key`` exists."""
    stmt = _insert(dialect, table).values(**values)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[key], set_={c: stmt.excluded[c] for c in update}
    )
