"""Tables for peer groups, coaches and flash polls (revision 0003).

People appear here only by pseudonym. A coach is a pseudonym too: the bot never
stores who a coach is, only that this pseudonym may coach that group. Invite
codes are kept as hashes, so a leaked table cannot be used to become a coach.
``prompt_recipients`` is the fatigue ledger and the fan-out's exactly-once
record: one row per prompt and member, written in the same transaction as the
member's outbox row.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from bot.stores.sql.tables import PSEUDONYM, UtcDateTime, metadata

__all__ = [
    "coach_invites",
    "coaches",
    "group_members",
    "group_policies",
    "group_prompts",
    "peer_groups",
    "prompt_recipients",
]

GROUP_ID = 32

peer_groups = Table(
    "peer_groups",
    metadata,
    Column("group_id", String(GROUP_ID), primary_key=True),
    Column("municipality", String(32), nullable=False, index=True),
    Column("domain", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    #: The code in the join link (``g-<code>``); replaced by ``/uitnodiging``.
    Column("join_code", String(32), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(GROUP_ID), primary_key=True),
    Column("pseudonym", String(PSEUDONYM), primary_key=True, index=True),
    Column("joined_at", UtcDateTime, nullable=False),
)

coaches = Table(
    "coaches",
    metadata,
    Column("group_id", String(GROUP_ID), primary_key=True),
    Column("pseudonym", String(PSEUDONYM), primary_key=True, index=True),
    Column("registered_at", UtcDateTime, nullable=False),
)

coach_invites = Table(
    "coach_invites",
    metadata,
    #: sha256 of the one-time code; the code itself is printed once and never stored.
    Column("code_hash", String(64), primary_key=True),
    Column("group_id", String(GROUP_ID), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

group_prompts = Table(
    "group_prompts",
    metadata,
    Column("prompt_id", String(GROUP_ID), primary_key=True),
    Column("group_id", String(GROUP_ID), nullable=False, index=True),
    #: The coach's pseudonym: /resultaten shows a coach only their own prompts.
    Column("pseudonym", String(PSEUDONYM), nullable=False, index=True),
    Column("municipality", String(32), nullable=False),
    Column("domain", String(32), nullable=False),
    Column("question", Text, nullable=False),
    #: JSON list of option labels; empty for an open question.
    Column("options", Text, nullable=False, default="[]"),
    #: awaiting (an official's approval), queued (fan-out running), sent, rejected
    Column("status", String(10), nullable=False),
    Column("send_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("approved_by", String(32), nullable=True),
    #: Fan-out progress: the last member pseudonym queued (members go in pseudonym order).
    Column("cursor", String(PSEUDONYM), nullable=True),
    Column("now_count", Integer, nullable=False, default=0),
    Column("later_count", Integer, nullable=False, default=0),
    Column("never_count", Integer, nullable=False, default=0),
)

prompt_recipients = Table(
    "prompt_recipients",
    metadata,
    Column("prompt_id", String(GROUP_ID), primary_key=True),
    Column("pseudonym", String(PSEUDONYM), primary_key=True),
    Column("group_id", String(GROUP_ID), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    #: The prompt counts as open for this member until here (or until answered).
    Column("open_until", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime, nullable=True),
    Index("ix_prompt_recipients_pseudonym_due", "pseudonym", "due_at"),
)

group_policies = Table(
    "group_policies",
    metadata,
    Column("municipality", String(32), primary_key=True),
    #: An official must approve each coach prompt before it goes out.
    Column("require_approval", Boolean, nullable=False, default=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
