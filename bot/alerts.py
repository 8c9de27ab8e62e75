"""Crisis alerts: a human at the municipality is told at once, without who it was.

The alert carries the crisis kind, the municipality and the anonymised text,
never the pseudonym or address: the person who reads it can act on the signal
(for example check a youth worker's group) without identifying anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["SafetyAlert", "SafetyAlerts"]

log = logging.getLogger("praatmee.safety")


@dataclass(frozen=True, slots=True)
class SafetyAlert:
    kind: str
    text: str  # anonymised
    municipality: str | None
    at: datetime


Notify = Callable[[SafetyAlert], Awaitable[None]]


class SafetyAlerts:
    """Logs every alert and hands it to the configured notifiers (e-mail, store)."""

    def __init__(self, notifiers: list[Notify] | None = None) -> None:
        self._notifiers = list(notifiers or [])
        self.raised = 0

    def add(self, notify: Notify) -> None:
        self._notifiers.append(notify)

    async def raise_alert(self, kind: str, text: str, municipality: str | None, at: datetime) -> None:
        alert = SafetyAlert(kind, text, municipality, at)
        self.raised += 1
        log.warning("safety alert: %s in %s", kind, municipality or "unknown municipality")
        for notify in self._notifiers:
            try:
                await notify(alert)
            except Exception:  # one notifier failing must not stop the others
                log.exception("safety alert notifier failed")
