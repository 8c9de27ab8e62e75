"""ISO weeks as the insight store writes them (``2026-W47``, Dutch local time)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["AMSTERDAM", "monday", "parse_week", "previous_week", "week_of", "weeks_back"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> str:
    """``week`` checked and normalised; ValueError names the expected form."""
    match = _WEEK.match(week.strip())
    if match is None:
        raise ValueError(f"a week looks like 2026-W47, not {week!r}")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{week!r} is not a week of {year}") from exc
    return f"{year}-W{number:02d}"


def monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def week_of(day: date | datetime) -> str:
    if isinstance(day, datetime):
        day = day.astimezone(AMSTERDAM).date()
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def previous_week(week: str) -> str:
    return week_of(monday(week) - timedelta(days=7))


def weeks_back(week: str, n: int) -> tuple[str, ...]:
    """The ``n`` weeks ending with ``week``, oldest first."""
    start = monday(week)
    return tuple(week_of(start - timedelta(days=7 * i)) for i in range(n - 1, -1, -1))
