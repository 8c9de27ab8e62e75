"""Peer groups: groups, members, coaches, one-time coach invites, flash polls,
their recipients (the fatigue ledger) and each municipality's approval rule.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_groups",
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("join_code", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_peer_groups")),
        sa.UniqueConstraint("join_code", name=op.f("uq_peer_groups_join_code")),
    )
    with op.batch_alter_table("peer_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_peer_groups_municipality"), ["municipality"], unique=False)

    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "pseudonym", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_pseudonym"), ["pseudonym"], unique=False)

    op.create_table(
        "coaches",
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "pseudonym", name=op.f("pk_coaches")),
    )
    with op.batch_alter_table("coaches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coaches_pseudonym"), ["pseudonym"], unique=False)

    op.create_table(
        "coach_invites",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_coach_invites")),
    )

    op.create_table(
        "group_prompts",
        sa.Column("prompt_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=32), nullable=True),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("now_count", sa.Integer(), nullable=False),
        sa.Column("later_count", sa.Integer(), nullable=False),
        sa.Column("never_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prompt_id", name=op.f("pk_group_prompts")),
    )
    with op.batch_alter_table("group_prompts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_prompts_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_group_prompts_pseudonym"), ["pseudonym"], unique=False)

    op.create_table(
        "prompt_recipients",
        sa.Column("prompt_id", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("prompt_id", "pseudonym", name=op.f("pk_prompt_recipients")),
    )
    with op.batch_alter_table("prompt_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_prompt_recipients_pseudonym_due", ["pseudonym", "due_at"], unique=False)

    op.create_table(
        "group_policies",
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("require_approval", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("municipality", name=op.f("pk_group_policies")),
    )


def downgrade() -> None:
    op.drop_table("group_policies")
    with op.batch_alter_table("prompt_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_prompt_recipients_pseudonym_due")
    op.drop_table("prompt_recipients")
    with op.batch_alter_table("group_prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_prompts_pseudonym"))
        batch_op.drop_index(batch_op.f("ix_group_prompts_group_id"))
    op.drop_table("group_prompts")
    op.drop_table("coach_invites")
    with op.batch_alter_table("coaches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coaches_pseudonym"))
    op.drop_table("coaches")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_pseudonym"))
    op.drop_table("group_members")
    with op.batch_alter_table("peer_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_groups_municipality"))
    op.drop_table("peer_groups")
