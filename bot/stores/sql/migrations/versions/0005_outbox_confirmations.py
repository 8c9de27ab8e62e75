"""Outbox rows wait for the platform's confirmation: its message id, and the template path.

WhatsApp accepts a free-form message outside the 24-hour window and reports the refusal
(131047) later, in a status webhook. A sent row therefore stays (status ``sent``, with
the platform's message id) until a status settles it; ``via_template`` marks a row that
must go out as its template, or wait for the participant, never as free-form text.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 08:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_message_id", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("via_template", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_platform_message_id"), ["platform_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_platform_message_id"))
        batch_op.drop_column("via_template")
        batch_op.drop_column("platform_message_id")
