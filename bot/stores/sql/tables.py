"""SQL tables (SQLAlchemy Core). Changes go through an Alembic migration.

No table has a column for raw chat text or a readable channel address: free
text is stored only after anonymisation, addresses only encrypted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
)

__all__ = [
    "addresses",
    "answers",
    "completions",
    "delivery_log",
    "metadata",
    "outbox",
    "participants",
    "topics",
]


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

PSEUDONYM = 64  # hex of HMAC-SHA256

participants = Table(
    "participants",
    metadata,
    Column("pseudonym", String(PSEUDONYM), primary_key=True),
    Column("municipality", String(32), nullable=True, index=True),
    Column("lang", String(8), nullable=False, default="nl"),
    Column("channel", String(16), nullable=False),
    Column("group_id", String(32), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("unreachable", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_inbound_at", UtcDateTime, nullable=True),
)

addresses = Table(
    "addresses",
    metadata,
    Column("pseudonym", String(PSEUDONYM), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("address_enc", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

answers = Table(
    "answers",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("pseudonym", String(PSEUDONYM), nullable=False, index=True),
    Column("municipality", String(32), nullable=False),
    Column("domain", String(32), nullable=False),
    Column("dialogue_id", String(32), nullable=True),
    Column("prompt_id", String(32), nullable=True),
    Column("group_id", String(32), nullable=True),
    Column("step_id", String(32), nullable=False),
    Column("step_type", String(20), nullable=False),
    Column("option_ids", Text, nullable=False, default="[]"),
    Column("number", Float, nullable=True),
    Column("text", Text, nullable=True),
    Column("skipped", Boolean, nullable=False, default=False),
    Column("themes", Text, nullable=False, default="[]"),
    Column("lang", String(8), nullable=False),
    Column("iso_week", String(8), nullable=False),
    Column("answered_at", UtcDateTime, nullable=False),
    Index("ix_answers_municipality_week", "municipality", "iso_week"),
)

completions = Table(
    "completions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("pseudonym", String(PSEUDONYM), nullable=False, index=True),
    Column("municipality", String(32), nullable=False),
    Column("domain", String(32), nullable=False),
    Column("dialogue_id", String(32), nullable=False),
    Column("iso_week", String(8), nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
    Index("ix_completions_municipality_week", "municipality", "iso_week"),
)

topics = Table(
    "topics",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("pseudonym", String(PSEUDONYM), nullable=False, index=True),
    Column("municipality", String(32), nullable=False),
    Column("group_id", String(32), nullable=True),
    Column("text", Text, nullable=False),
    Column("themes", Text, nullable=False, default="[]"),
    Column("lang", String(8), nullable=False),
    Column("iso_week", String(8), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Index("ix_topics_municipality_week", "municipality", "iso_week"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("pseudonym", String(PSEUDONYM), nullable=True, index=True),
    Column("channel", String(16), nullable=False),
    Column("address_enc", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("priority", SmallInteger, nullable=False, default=0),
    Column("status", String(10), nullable=False, default="pending"),
    Column("due_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_outbox_due", "status", "priority", "due_at"),
)

delivery_log = Table(
    "delivery_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("pseudonym", String(PSEUDONYM), nullable=True, index=True),
    Column("channel", String(16), nullable=False),
    Column("platform_message_id", String(128), nullable=True, index=True),
    Column("state", String(12), nullable=False),
    Column("error_code", Integer, nullable=True),
    Column("detail", String(200), nullable=True),
    Column("at", UtcDateTime, nullable=False),
)
