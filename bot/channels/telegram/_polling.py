"""Long polling with getUpdates, confirming an update only after it was accepted.

Why not PTB's ``Updater``: it advances the offset as soon as a batch is fetched
and only then puts the updates on a queue for handlers, so an update whose
handling fails (or a crash in between) is confirmed to Telegram and lost. Here
the offset moves past an update only after ``process`` returned; when it
raises, the loop waits and fetches again from that update, so it comes back
(at least once; the runtime de-duplicates). Telegram confirms updates when a
later getUpdates carries a higher offset, so nothing is acknowledged early.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, Update
from telegram.error import Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.channels.telegram._errors import retry_after_of

__all__ = ["Poller"]

_log = logging.getLogger(__name__)


class Poller:
    __slots__ = ("_allowed", "_bot", "_offset", "_process", "_retry_delay", "_task",
                 "_timeout", "failures")

    def __init__(self, bot: Bot, process: Callable[[Update], Awaitable[None]], *,
                 timeout: float, retry_delay: float, allowed_updates: Sequence[str]) -> None:
        self._bot = bot
        self._process = process
        self._timeout = timeout
        self._retry_delay = retry_delay
        self._allowed = list(allowed_updates)
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        #: Updates whose processing raised, for health checks and tests.
        self.failures = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="tg-polling")

    async def stop(self) -> None:
        """Stop fetching; an update being processed is cut off and comes back next time."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            _log.warning("telegram polling had stopped: %s", type(task.exception()).__name__)

    async def _run(self) -> None:
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=self._offset, timeout=int(self._timeout),
                    allowed_updates=self._allowed)
            except (InvalidToken, Forbidden):
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_of(exc).total_seconds())
                continue
            except TelegramError as exc:  # network trouble, 5xx, a 409 conflict
                _log.warning("telegram getUpdates failed: %s", type(exc).__name__)
                await asyncio.sleep(self._retry_delay)
                continue
            await self._handle(updates)

    async def _handle(self, updates: Sequence[Update]) -> None:
        for update in updates:
            try:
                await self._process(update)
            except Exception as exc:
                self.failures += 1
                _log.error("telegram update %s not accepted: %s", update.update_id,
                           type(exc).__name__)
                await asyncio.sleep(self._retry_delay)
                return  # fetch again from this update
            self._offset = update.update_id + 1
