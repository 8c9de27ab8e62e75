"""Keeps one platform's sends inside its published limits.

Sends are spaced, not burst: each takes the next free slot of an overall
schedule (``overall_per_second``) and of its recipient's schedule
(``per_recipient_interval`` after ``per_recipient_burst`` quick ones), with a
small safety margin, so a platform that counts over any sliding window never
sees a violation. A platform's ``RetryAfter`` pauses every send (or only that
recipient's) until the time it named.

A recipient's (and a group's) schedule is booked at the moment the send is
let go, after any wait for the overall schedule, so a send that queued for an
overall slot does not leave its recipient's next message too little room.

Spacing alone counts from the moment a send is let go, but the platform counts
when the request arrives, and a busy event loop or a slow connection can hold
one request back until the next catches up. Sends made inside :meth:`Pacer.turn`
therefore also count from when they *finished*: a recipient's next message
waits its interval after the previous one was answered, and at most
``overall_per_second`` sends are in flight or finished within the last second.
As a request reaches the platform between leaving and being answered, no
sliding window there can hold more than the limit, whatever the delays.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.channels.base import Pacing

__all__ = ["Pacer"]

#: Aim this far under the published limit.
SAFETY = 0.97
#: The window over which ``overall_per_second`` is counted.
WINDOW = 1.0
#: The window of ``group_per_minute``.
GROUP_WINDOW = 60.0 / SAFETY


class _Permit:
    """One send's place in the overall window; ``until`` is None while it is in flight."""

    __slots__ = ("until",)

    def __init__(self) -> None:
        self.until: float | None = None


class Pacer:
    __slots__ = ("_clock", "_freed", "_group_times", "_interval", "_next_slot", "_pacing",
                 "_paused_until", "_permits", "_recipient", "_sleep")

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
        # recipient -> theoretical arrival time of its next message (the GCRA form of a
        # token bucket); a send may go ``burst - 1`` intervals before it. Pruned when past.
        self._recipient: dict[str, float] = {}
        self._group_times: dict[str, list[float]] = {}
        # One entry per recent send: when it stops counting against the overall limit
        # (finished + WINDOW); None while it is still in flight.
        self._permits: list[_Permit] = []
        self._freed = asyncio.Event()

    def pause(self, seconds: float) -> None:
        """Stop every send for ``seconds`` (a platform-wide RetryAfter)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def hold(self, recipient: str, seconds: float) -> None:
        """Stop sends to one recipient for ``seconds`` (a per-recipient limit)."""
        self._recipient[recipient] = self._clock() + seconds + self._burst_slack

    @property
    def _recipient_interval(self) -> float:
        return self._pacing.per_recipient_interval / SAFETY if self._pacing.per_recipient_interval else 0.0

    @property
    def _burst_slack(self) -> float:
        return (max(1, self._pacing.per_recipient_burst) - 1) * self._recipient_interval

    def _recipient_delay(self, recipient: str, now: float) -> float:
        due = self._recipient.get(recipient)
        if due is None or not self._recipient_interval:
            return 0.0
        return max(0.0, due - self._burst_slack - now)

    def _group_delay(self, group: str, now: float) -> float:
        per_minute = self._pacing.group_per_minute
        if not per_minute:
            return 0.0
        times = [t for t in self._group_times.get(group, []) if t > now - GROUP_WINDOW]
        self._group_times[group] = times
        if len(times) < per_minute:
            return 0.0
        return max(0.0, times[len(times) - per_minute] + GROUP_WINDOW - now)

    def _book(self, recipient: str, group: bool, now: float) -> None:
        """The send goes now: move the recipient's (and group's) schedule on."""
        interval = self._recipient_interval
        if interval:
            self._recipient[recipient] = max(self._recipient.get(recipient, now), now) + interval
        if group and self._pacing.group_per_minute:
            self._group_times.setdefault(recipient, []).append(now)

    async def wait_turn(self, recipient: str, *, group: bool = False) -> None:
        """Return when a message to ``recipient`` may go out (call once per send).

        The recipient's own wait comes first and does not hold up others; only
        then is a slot of the overall schedule taken. Prefer :meth:`turn`, which
        also counts from when the send finished.
        """
        permit = await self._wait(recipient, group)
        permit.until = self._clock() + WINDOW

    @asynccontextmanager
    async def turn(self, recipient: str, *, group: bool = False) -> AsyncIterator[None]:
        """``async with pacer.turn(r): await send()``: wait as :meth:`wait_turn`, then
        count the recipient's interval and the overall window from the send's end."""
        permit = await self._wait(recipient, group)
        released = self._clock()
        try:
            yield
        finally:
            done = self._clock()
            permit.until = done + WINDOW
            self._freed.set()
            if recipient in self._recipient:
                self._recipient[recipient] += done - released

    async def _wait(self, recipient: str, group: bool) -> _Permit:
        while True:
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
            permit = await self._permit()
            now = self._clock()
            late = self._recipient_delay(recipient, now) > 0 or (
                group and self._group_delay(recipient, now) > 0)
            if not late and self._paused_until <= now:
                self._book(recipient, group, now)
                if len(self._recipient) > 10_000:
                    self._prune(now)
                return permit
            # Another send to this recipient, or a pause, came first: give the permit back.
            self._permits = [p for p in self._permits if p is not permit]
            self._freed.set()

    async def _permit(self) -> _Permit:
        """Take one of ``overall_per_second`` permits; each comes back a window after its
        send finished, so no window of that length holds more sends than allowed."""
        limit = max(1, math.floor(self._pacing.overall_per_second))
        while True:
            now = self._clock()
            self._permits = [p for p in self._permits if p.until is None or p.until > now]
            if len(self._permits) < limit:
                permit = _Permit()
                self._permits.append(permit)
                return permit
            returns = [p.until for p in self._permits if p.until is not None]
            if returns:
                await self._sleep(min(returns) - now)
            else:  # every permit is out with a send still in flight
                self._freed.clear()
                await self._freed.wait()

    def _prune(self, now: float) -> None:
        past = [r for r, due in self._recipient.items() if due <= now]
        for r in past:
            del self._recipient[r]

    def tracked_recipients(self) -> int:
        return len(self._recipient)
