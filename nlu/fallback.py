"""Rasa when it answers, the embedded backend when it does not.

NLU must never stop a conversation: when the Rasa server is down the participant still
gets an answer from the in-process model, and ``health()`` says so for ``/healthz``.
After a failure Rasa is skipped for ``retry_after`` seconds, so a dead server does not
add a timeout to every message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from nlu.embedded import EmbeddedNlu
from nlu.rasa_http import RasaAuthError, RasaError, RasaHttpNlu, RasaUnavailable
from nlu.types import NluResult

__all__ = ["FallbackNlu"]

log = logging.getLogger(__name__)


class FallbackNlu:
    """An ``NluBackend`` that prefers Rasa and degrades to the embedded backend."""

    __slots__ = ("_clock", "_down_until", "_embedded", "_problem", "_rasa", "_retry_after")

    def __init__(self, rasa: RasaHttpNlu, embedded: EmbeddedNlu, retry_after: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._rasa = rasa
        self._embedded = embedded
        self._retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0
        self._problem: str | None = None

    async def parse(self, text: str) -> NluResult:
        if self._problem is None or self._clock() >= self._down_until:
            try:
                result = await self._rasa.parse(text)
            except RasaError as exc:
                self._degrade(exc)
            else:
                if self._problem is not None:
                    log.info("nlu: rasa reachable again")
                self._problem = None
                return result
        return await self._embedded.parse(text)

    def health(self) -> dict[str, str]:
        """``{"nlu": "ok"}`` or ``{"nlu": "degraded: rasa unreachable", ...}``."""
        if self._problem is None:
            return {"nlu": "ok", "backend": "rasa"}
        return {"nlu": f"degraded: {self._problem}", "backend": "embedded"}

    def _degrade(self, exc: RasaError) -> None:
        problem = ("rasa refused the token" if isinstance(exc, RasaAuthError)
                   else "rasa unreachable" if isinstance(exc, RasaUnavailable)
                   else "rasa error")
        if problem != self._problem:
            log.warning("nlu: %s (%s); using the embedded backend", problem, exc)
        self._problem = problem
        self._down_until = self._clock() + self._retry_after
