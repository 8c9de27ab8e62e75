"""Dialect-specific INSERT ... ON CONFLICT, in one place, each statement built once.

The statements carry no values: execute them with a parameter dict (or a list of
them), so SQLAlchemy reuses one compiled form instead of building and hashing a
new statement for every row.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_ignore", "upsert"]


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


@lru_cache(maxsize=256)
def insert_ignore(dialect: str, table: Table, key: str = "idempotency_key") -> Insert:
    """INSERT that silently skips rows whose ``key`` exists already (idempotency)."""
    return _insert(dialect, table).on_conflict_do_nothing(index_elements=[key])  # type: ignore[no-any-return]


@lru_cache(maxsize=256)
def upsert(dialect: str, table: Table, key: str, update: tuple[str, ...]) -> Insert:
    """INSERT, or UPDATE the ``update`` columns when ``key`` exists."""
    stmt = _insert(dialect, table)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[key], set_={c: stmt.excluded[c] for c in update}
    )
