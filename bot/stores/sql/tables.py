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
    false,
)

__all__ = [
    "addresses",
    "answers",
    "completions",
    "delivery_log",
    "digest_sends",
    "feedback",
    "feedback_recipients",
    "metadata",
    "officials",
    "outbox",
    "participants",
    "quote_reviews",
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
    #: Set once sent, on a channel that confirms delivery later (status ``sent``).
    Column("platform_message_id", String(128), nullable=True, index=True),
    #: Outside the platform's window: only its template may go, or it waits.
    Column("via_template", Boolean, nullable=False, default=False, server_default=false()),
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

# --- digests and feedback (revision 0002) -------------------------------------------------
# Officials' subscriptions, the digest delivery log, the quote review queue and
# feedback to participants. None of these holds raw chat text: quotes point at
# an already anonymised answer or topic and keep only a reviewer's edit.

officials = Table(
    "officials",
    metadata,
    Column("official_id", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    #: JSON lists. ``may_see``: what the official is allowed to see; ``municipalities``: what
    #: the digest covers (a subset). Empty ``domains``/``themes`` mean all.
    Column("may_see", Text, nullable=False, default="[]"),
    Column("municipalities", Text, nullable=False, default="[]"),
    Column("domains", Text, nullable=False, default="[]"),
    Column("themes", Text, nullable=False, default="[]"),
    Column("lang", String(8), nullable=False, default="nl"),
    Column("weekday", SmallInteger, nullable=False, default=1),  # ISO: 1 = Monday
    Column("hour", SmallInteger, nullable=False, default=9),  # Europe/Amsterdam
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

digest_sends = Table(
    "digest_sends",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    #: sha256 of official id + ISO week: one digest per official and week, ever.
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("official_id", String(32), nullable=False, index=True),
    Column("iso_week", String(8), nullable=False),
    Column("status", String(10), nullable=False),  # sending, retry, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("message_id", String(200), nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
)

quote_reviews = Table(
    "quote_reviews",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    #: "answer:<id>" or "topic:<id>": one review per source row.
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("source", String(8), nullable=False),
    Column("source_id", BigInteger, nullable=False),
    Column("municipality", String(32), nullable=False),
    Column("dialogue_id", String(32), nullable=True),
    Column("step_id", String(32), nullable=True),
    Column("iso_week", String(8), nullable=False),
    #: pending, held (leftover risk), approved, rejected
    Column("status", String(10), nullable=False),
    Column("risk", String(80), nullable=True),
    #: The reviewer's own redaction; NULL shows the stored (anonymised) text.
    Column("edited_text", Text, nullable=True),
    Column("useful", Boolean, nullable=False, default=False),
    Column("useful_week", String(8), nullable=True),
    Column("reviewed_by", String(32), nullable=True),
    Column("reviewed_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_quote_reviews_municipality_week", "municipality", "iso_week"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("municipality", String(32), nullable=False),
    Column("target_kind", String(10), nullable=False),  # dialogue, theme, topic
    Column("target_id", String(64), nullable=False),
    Column("status", String(12), nullable=False),  # adopted, not_now, in_progress
    Column("text_nl", Text, nullable=False),
    Column("text_en", Text, nullable=True),
    Column("official_id", String(32), nullable=True),
    Column("iso_week", String(8), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("fanned_out_at", UtcDateTime, nullable=True),
    Column("recipients", Integer, nullable=False, default=0),
    Index("ix_feedback_municipality_week", "municipality", "iso_week"),
)

feedback_recipients = Table(
    "feedback_recipients",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    #: sha256 of feedback id + pseudonym: each participant gets a feedback message once.
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("feedback_id", BigInteger, nullable=False, index=True),
    Column("pseudonym", String(PSEUDONYM), nullable=False, index=True),
    Column("outbox_key", String(64), nullable=False),
    Column("queued_at", UtcDateTime, nullable=False),
)

# --- the inbox (revision 0004) -------------------------------------------------------------
# Platform messages accepted from a webhook and not handled yet: each sealed whole (it holds
# raw text and the sender's id, so never readable at rest) and deleted once handled.
inbox = Table(
    "inbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    #: sha256 of channel + platform message id: a redelivered webhook adds nothing.
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("pseudonym", String(PSEUDONYM), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("sealed", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    #: Not before this time (a lease while being handled, a back-off after a failure).
    Column("not_before", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    #: pending, or dead after too many failures (kept for an operator, never handled again).
    Column("status", String(8), nullable=False, default="pending"),
    Column("last_error", String(200), nullable=True),
)

# --- inbox envelopes (revision 0006) -----------------------------------------------------------
# One webhook's messages, sealed together in one row: the webhook's answer waits for one
# small append, not for a row (and two index entries) per message. The intake unpacks
# them into the inbox, oldest first, before it claims messages to handle.
inbox_envelopes = Table(
    "inbox_envelopes",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("sealed", Text, nullable=False),
    #: How many messages it holds (for /healthz without opening it).
    Column("messages", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    #: pending, or dead when it cannot be opened (kept for an operator, never dropped).
    Column("status", String(8), nullable=False, default="pending"),
)

# Peer groups, coaches and flash polls (revision 0003) live in their own module.
from bot.stores.sql import tables_groups as tables_groups  # noqa: E402,F401
