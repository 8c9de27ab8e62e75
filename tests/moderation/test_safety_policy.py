"""Flood throttling and abuse pauses, decided from controlled timestamps (no clock, no sleeps)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from moderation.safety_policy import (
    AbusePauseSettings,
    FloodDecision,
    FloodSettings,
    PauseDecision,
    decide_abuse_pause,
    decide_flood,
)

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def seconds_ago(*offsets: float) -> list[datetime]:
    return [NOW - timedelta(seconds=s) for s in offsets]


def test_twelve_messages_a_minute_pass_the_thirteenth_is_throttled() -> None:
    assert decide_flood(seconds_ago(*range(12)), NOW) == FloodDecision(False, 12)
    decision = decide_flood(seconds_ago(*range(13)), NOW)
    assert decision.throttle and decision.messages_in_window == 13
    # the two oldest (12 s and 11 s ago) must leave the window before one more fits
    assert decision.retry_after == timedelta(seconds=49)


def test_messages_older_than_the_window_do_not_count() -> None:
    times = seconds_ago(0, *range(60, 120, 2))  # one now, thirty a minute or more ago
    assert decide_flood(times, NOW) == FloodDecision(False, 1)


def test_flood_settings_are_honoured_and_validated() -> None:
    strict = FloodSettings(max_messages=2, window=timedelta(seconds=10))
    assert decide_flood(seconds_ago(0, 5, 9), NOW, strict).throttle
    assert not decide_flood(seconds_ago(0, 5, 11), NOW, strict).throttle
    with pytest.raises(ValueError, match="max_messages"):
        FloodSettings(max_messages=0)


def test_future_timestamps_count_as_now() -> None:
    skewed = [NOW + timedelta(seconds=3)] * 13
    decision = decide_flood(skewed, NOW)
    assert decision.throttle and decision.retry_after == timedelta(seconds=60)


def test_third_abusive_message_in_ten_minutes_pauses_for_thirty() -> None:
    times = [NOW - timedelta(minutes=9), NOW - timedelta(minutes=4), NOW]
    assert decide_abuse_pause(times, NOW) == PauseDecision(NOW + timedelta(minutes=30), 3)
    assert decide_abuse_pause(times, NOW).paused


def test_spread_out_abuse_does_not_pause() -> None:
    times = [NOW - timedelta(minutes=25), NOW - timedelta(minutes=11), NOW]
    decision = decide_abuse_pause(times, NOW)
    assert not decision.paused and decision.pause_until is None
    assert decision.abusive_in_window == 1


def test_abuse_pause_settings_are_honoured() -> None:
    settings = AbusePauseSettings(
        max_abusive=2, window=timedelta(minutes=1), pause=timedelta(hours=1)
    )
    decision = decide_abuse_pause(seconds_ago(0, 30), NOW, settings)
    assert decision.pause_until == NOW + timedelta(hours=1)
    with pytest.raises(ValueError, match="positive"):
        AbusePauseSettings(pause=timedelta(0))


def test_settings_and_decisions_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        FloodSettings().max_messages = 100  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        decide_abuse_pause([], NOW).pause_until = NOW  # type: ignore[misc]
