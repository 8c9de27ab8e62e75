"""Digests and feedback: officials' subscriptions, digest delivery log, quote review
queue, feedback to participants and who it was queued for.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "officials",
        sa.Column("official_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("may_see", sa.Text(), nullable=False),
        sa.Column("municipalities", sa.Text(), nullable=False),
        sa.Column("domains", sa.Text(), nullable=False),
        sa.Column("themes", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("official_id", name=op.f("pk_officials")),
    )
    op.create_table(
        "digest_sends",
        _id(),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("official_id", sa.String(length=32), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_sends")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_digest_sends_idempotency_key")),
    )
    with op.batch_alter_table("digest_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_sends_official_id"), ["official_id"], unique=False)

    op.create_table(
        "quote_reviews",
        _id(),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("dialogue_id", sa.String(length=32), nullable=True),
        sa.Column("step_id", sa.String(length=32), nullable=True),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("risk", sa.String(length=80), nullable=True),
        sa.Column("edited_text", sa.Text(), nullable=True),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("useful_week", sa.String(length=8), nullable=True),
        sa.Column("reviewed_by", sa.String(length=32), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_reviews")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_quote_reviews_idempotency_key")),
    )
    with op.batch_alter_table("quote_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_quote_reviews_municipality_week", ["municipality", "iso_week"], unique=False)

    op.create_table(
        "feedback",
        _id(),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("text_nl", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("official_id", sa.String(length=32), nullable=True),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_municipality_week", ["municipality", "iso_week"], unique=False)

    op.create_table(
        "feedback_recipients",
        _id(),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("feedback_id", sa.BigInteger(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("outbox_key", sa.String(length=64), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_recipients")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_feedback_recipients_idempotency_key")),
    )
    with op.batch_alter_table("feedback_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_recipients_feedback_id"), ["feedback_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_recipients_pseudonym"), ["pseudonym"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_recipients_pseudonym"))
        batch_op.drop_index(batch_op.f("ix_feedback_recipients_feedback_id"))
    op.drop_table("feedback_recipients")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_municipality_week")
    op.drop_table("feedback")
    with op.batch_alter_table("quote_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_quote_reviews_municipality_week")
    op.drop_table("quote_reviews")
    with op.batch_alter_table("digest_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_sends_official_id"))
    op.drop_table("digest_sends")
    op.drop_table("officials")
