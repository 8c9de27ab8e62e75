"""Flood throttling and abuse pauses as pure functions of timestamps the runtime stores.

The policies take ``now`` and the participant's recent timestamps as arguments instead of
reading a clock or a store: the same inputs always give the same decision, tests need no
sleeps, and the runtime stays free to keep the timestamps wherever it keeps participant
state. Settings and decisions are frozen, slotted dataclasses: a settings object is shared by
every task of the service and must not change under them, and a decision is a value the
runtime acts on and tests compare, never a handle to mutate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "AbusePauseSettings",
    "FloodDecision",
    "FloodSettings",
    "PauseDecision",
    "decide_abuse_pause",
    "decide_flood",
]


@dataclass(frozen=True, slots=True)
class FloodSettings:
    """Throttle a participant who sends more than ``max_messages`` within ``window``."""

    max_messages: int = 12
    window: timedelta = timedelta(seconds=60)

    def __post_init__(self) -> None:
        if self.max_messages < 1:
            raise ValueError("FloodSettings.max_messages must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("FloodSettings.window must be positive")


@dataclass(frozen=True, slots=True)
class FloodDecision:
    """``throttle`` the current message or not; ``retry_after`` is when sending helps again."""

    throttle: bool
    messages_in_window: int
    retry_after: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class AbusePauseSettings:
    """Pause a participant for ``pause`` after ``max_abusive`` abusive messages within ``window``."""

    max_abusive: int = 3
    window: timedelta = timedelta(minutes=10)
    pause: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.max_abusive < 1:
            raise ValueError("AbusePauseSettings.max_abusive must be at least 1")
        if self.window <= timedelta(0) or self.pause <= timedelta(0):
            raise ValueError("AbusePauseSettings.window and .pause must be positive")


@dataclass(frozen=True, slots=True)
class PauseDecision:
    """``pause_until`` is ``None`` when the participant may go on."""

    pause_until: datetime | None
    abusive_in_window: int

    @property
    def paused(self) -> bool:
        return self.pause_until is not None


_DEFAULT_FLOOD = FloodSettings()
_DEFAULT_ABUSE_PAUSE = AbusePauseSettings()


def _in_window(times: Iterable[datetime], now: datetime, window: timedelta) -> list[datetime]:
    """Timestamps in ``(now - window, now]``; ones after ``now`` (clock skew) count as now."""
    start = now - window
    return sorted(min(t, now) for t in times if t > start)


def decide_flood(
    message_times: Iterable[datetime], now: datetime, settings: FloodSettings = _DEFAULT_FLOOD
) -> FloodDecision:
    """Whether the message received at ``now`` is one too many.

    ``message_times`` are the participant's recent message times *including* the current one
    (``now``). With the defaults, the 13th message within 60 seconds is throttled;
    ``retry_after`` says how long until the oldest message in the window falls out of it.
    All datetimes must be timezone-aware (or all naive).
    """
    recent = _in_window(message_times, now, settings.window)
    if len(recent) <= settings.max_messages:
        return FloodDecision(throttle=False, messages_in_window=len(recent))
    # the message that has to leave the window before one more fits
    oldest_to_expire = recent[len(recent) - settings.max_messages]
    retry_after = oldest_to_expire + settings.window - now
    return FloodDecision(
        throttle=True, messages_in_window=len(recent), retry_after=max(retry_after, timedelta(0))
    )


def decide_abuse_pause(
    abuse_times: Iterable[datetime],
    now: datetime,
    settings: AbusePauseSettings = _DEFAULT_ABUSE_PAUSE,
) -> PauseDecision:
    """Whether repeated abuse pauses the participant, and until when.

    ``abuse_times`` are the times of the participant's abusive messages, including the current
    one if it was abusive. With the defaults, the third abusive message within ten minutes
    pauses the participant until ``now`` plus thirty minutes. The runtime keeps the pause and
    sends the pause notice; it calls this only for messages the screen found abusive.
    """
    recent = _in_window(abuse_times, now, settings.window)
    if len(recent) < settings.max_abusive:
        return PauseDecision(pause_until=None, abusive_in_window=len(recent))
    return PauseDecision(pause_until=now + settings.pause, abusive_in_window=len(recent))
