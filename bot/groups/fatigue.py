"""The fatigue policy: when, if at all, one member may get one more prompt.

Flash polls work, but too many in a row kill the response (seeds: lessen, les 8).
So per member: at most ``per_week`` prompts in any 7 days, at least ``min_gap``
between two, none in quiet hours (Dutch local time), and never two open at
once. A prompt that would break a rule is moved to the earliest time that
breaks none, or dropped for that member when that is more than ``max_delay``
after the coach's chosen time (a flash poll goes stale).

Pure: no clock, no store. The fan-out feeds it each member's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

__all__ = ["Decision", "FatiguePolicy", "PastPrompt", "Verdict", "decide", "next_outside_quiet"]

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class FatiguePolicy:
    per_week: int = 2
    min_gap: timedelta = timedelta(hours=48)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    timezone: str = "Europe/Amsterdam"
    #: Later than this after the chosen time, the prompt is not sent to the member at all.
    max_delay: timedelta = timedelta(days=3)
    #: How long a prompt stays open (answerable) after it went out.
    open_for: timedelta = timedelta(hours=48)

    def __post_init__(self) -> None:
        if self.per_week < 1:
            raise ValueError("per_week must be at least 1")


@dataclass(frozen=True, slots=True)
class PastPrompt:
    """A prompt a member got (or will get): when, and until when it is open."""

    due_at: datetime
    #: The end of its open period; the answer time if answered earlier.
    open_until: datetime


class Verdict(StrEnum):
    NOW = "now"  # at the chosen time
    LATER = "later"  # moved to ``Decision.at``
    NEVER = "never"  # not at all


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    at: datetime | None = None


def next_outside_quiet(at: datetime, policy: FatiguePolicy) -> datetime:
    """``at`` itself, or the end of the quiet hours it falls in."""
    tz = ZoneInfo(policy.timezone)
    local = at.astimezone(tz)
    start, end = policy.quiet_start, policy.quiet_end
    clock = local.timetz().replace(tzinfo=None)
    if start > end:  # across midnight, e.g. 21:00-09:00
        if clock >= start:
            day = local.date() + timedelta(days=1)
        elif clock < end:
            day = local.date()
        else:
            return at
    elif start <= clock < end:
        day = local.date()
    else:
        return at
    return datetime.combine(day, end, tzinfo=tz).astimezone(at.tzinfo)


def _allowed(t: datetime, history: Sequence[PastPrompt], policy: FatiguePolicy) -> bool:
    if next_outside_quiet(t, policy) != t:
        return False
    before = after = 0
    for p in history:
        if abs(t - p.due_at) < policy.min_gap:
            return False
        # Two open prompts at once: the open periods would overlap.
        if p.due_at < t + policy.open_for and t < p.open_until:
            return False
        if t - WEEK < p.due_at <= t:
            before += 1
        if t <= p.due_at < t + WEEK:
            after += 1
    return before < policy.per_week and after < policy.per_week


def _candidates(requested: datetime, history: Iterable[PastPrompt], policy: FatiguePolicy) -> list[datetime]:
    """Where a blocking rule ends: the earliest allowed time is one of these (after quiet hours)."""
    times = {requested}
    for p in history:
        times.update((p.due_at + policy.min_gap, p.due_at + WEEK, p.open_until))
    return sorted(t for t in times if t >= requested)


def decide(policy: FatiguePolicy, history: Sequence[PastPrompt], requested: datetime) -> Decision:
    """When this member may get a prompt the coach wants out at ``requested``."""
    for candidate in _candidates(requested, history, policy):
        t = next_outside_quiet(candidate, policy)
        if t - requested > policy.max_delay:
            break
        if _allowed(t, history, policy):
            return Decision(Verdict.NOW if t == requested else Verdict.LATER, t)
    return Decision(Verdict.NEVER)
