"""Keeps one platform's sends inside its published limits.

Sends are spaced, not burst: each takes the next free slot of an overall
schedule (``overall_per_second``) and of its recipient's schedule
(``per_recipient_interval`` after ``per_recipient_burst`` quick ones), with a
small safety margin, so a platform that counts over any sliding window never
sees a violation. A platform's ``RetryAfter`` pauses every send (or only that
recipient's) until the time it named.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.channels.base import Pacing

__all__ = ["Pacer"]

#: Aim this far under the published limit.
SAFETY = 0.97


class Pacer:
    __slots__ = ("_clock", "_group_times", "_interval", "_next_slot", "_pacing", "_paused_until",
                 "_recipient", "_sleep")

    def __init__(
        self,
        pacing: Pacing,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self._pacing = pacing
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._interval = 1.0 / (pacing.overall_per_second * SAFETY)
        self._next_slot = 0.0
        self._paused_until = 0.0
        # recipient -> (tokens, last refill time); pruned when full again.
        self._recipient: dict[str, tuple[float, float]] = {}
        self._group_times: dict[str, list[float]] = {}

    def pause(self, seconds: float) -> None:
        """Stop every send for ``seconds`` (a platform-wide RetryAfter)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def hold(self, recipient: str, seconds: float) -> None:
        """Stop sends to one recipient for ``seconds`` (a per-recipient limit)."""
        self._recipient[recipient] = (-seconds / self._recipient_interval, self._clock())

    @property
    def _recipient_interval(self) -> float:
        return self._pacing.per_recipient_interval / SAFETY if self._pacing.per_recipient_interval else 0.0

    def _recipient_delay(self, recipient: str, now: float) -> float:
        interval = self._recipient_interval
        if not interval:
            return 0.0
        burst = float(max(1, self._pacing.per_recipient_burst))
        tokens, last = self._recipient.get(recipient, (burst, now))
        tokens = min(burst, tokens + (now - last) / interval)
        if tokens >= 1.0:
            self._recipient[recipient] = (tokens - 1.0, now)
            return 0.0
        wait = (1.0 - tokens) * interval
        self._recipient[recipient] = (tokens - 1.0, now)
        return wait

    def _group_delay(self, group: str, now: float) -> float:
        per_minute = self._pacing.group_per_minute
        if not per_minute:
            return 0.0
        times = [t for t in self._group_times.get(group, []) if t > now - 60.0 / SAFETY]
        delay = 0.0
        if len(times) >= per_minute:
            delay = times[len(times) - per_minute] + 60.0 / SAFETY - now
        times.append(now + delay)
        self._group_times[group] = times
        return delay

    async def wait_turn(self, recipient: str, *, group: bool = False) -> None:
        """Return when a message to ``recipient`` may go out (call once per send).

        The recipient's own wait comes first and does not hold up others; only
        then is a slot of the overall schedule taken.
        """
        now = self._clock()
        delay = self._recipient_delay(recipient, now)
        if group:
            delay = max(delay, self._group_delay(recipient, now))
        if delay > 0:
            await self._sleep(delay)
        while True:
            now = self._clock()
            if self._paused_until <= now:
                break
            await self._sleep(self._paused_until - now)
        slot = max(self._next_slot, now)
        self._next_slot = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
        if len(self._recipient) > 10_000:
            self._prune(self._clock())

    def _prune(self, now: float) -> None:
        interval = self._recipient_interval or 1.0
        burst = float(max(1, self._pacing.per_recipient_burst))
        full = [r for r, (tokens, last) in self._recipient.items()
                if tokens + (now - last) / interval >= burst]
        for r in full:
            del self._recipient[r]

    def tracked_recipients(self) -> int:
        return len(self._recipient)
