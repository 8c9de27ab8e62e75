"""Peer groups, prompts and what a coach may see, as frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Group", "Member", "Prompt", "PromptResults", "PromptStatus"]


class PromptStatus:
    AWAITING = "awaiting"  # an official must approve it first
    QUEUED = "queued"  # the fan-out is (re)running
    SENT = "sent"  # every member has an outbox row or was left out by the fatigue policy
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Group:
    group_id: str
    municipality: str
    domain: str
    name: str
    join_code: str


@dataclass(frozen=True, slots=True)
class Prompt:
    prompt_id: str
    group_id: str
    coach: str  # pseudonym
    municipality: str
    domain: str
    question: str
    options: tuple[str, ...]  # empty: an open question
    status: str
    send_at: datetime
    created_at: datetime
    cursor: str | None = None
    now_count: int = 0
    later_count: int = 0
    never_count: int = 0

    @property
    def is_open(self) -> bool:
        return not self.options


@dataclass(frozen=True, slots=True)
class Member:
    """One member as the fan-out needs them: where to send, in which language."""

    pseudonym: str
    channel: str | None
    address_enc: str | None
    lang: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class PromptResults:
    """Raw counts; the coach sees them only after the small-cell rule."""

    prompt: Prompt
    recipients: int
    answered: int
    by_option: dict[int, int]  # option index (0-based) -> people
