"""One Update, handled: the same path for webhook and polling.

``process`` returns only after the sink accepted what the update carried, and
raises when the sink raised, so the caller can make Telegram deliver it again
(webhook: 5xx; polling: offset not advanced). Telegram calls made here to
acknowledge a press or point a group to the private chat are best effort:
their failure never fails the update.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Bot, Message, Update
from telegram.error import TelegramError

from bot.channels.base import InboundSink
from bot.channels.telegram._keyboards import PageMemory
from bot.channels.telegram._parse import Deliver, GroupNote, Press, classify, inbound
from bot.channels.telegram._presses import PressOutcome, resolve
from bot.channels.telegram._texts import group_note
from bot.messages import InboundKind

__all__ = ["UpdateHandler", "utcnow"]

_log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UpdateHandler:
    __slots__ = ("_bot", "_clock", "_pages", "_sink", "_username")

    def __init__(self, bot: Bot, sink: InboundSink, pages: PageMemory,
                 username: Callable[[], str | None],
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._bot = bot
        self._sink = sink
        self._pages = pages
        self._username = username
        self._clock = clock

    async def process(self, update: Update) -> None:
        event = classify(update, received_at=self._clock(), bot_username=self._username())
        if isinstance(event, Deliver):
            await self._sink.accept(event.message)
        elif isinstance(event, Press):
            await self._press(event)
        elif isinstance(event, GroupNote):
            await self._best_effort("group note", self._bot.send_message(
                event.chat_id, group_note(self._username())))

    async def _press(self, event: Press) -> None:
        query = event.query
        outcome = resolve(query, self._pages)
        try:
            if outcome.choice_ids:
                message = query.message
                assert isinstance(message, Message)  # resolve() checked it
                await self._sink.accept(inbound(
                    event.update_id, query.from_user, message.chat.id, self._clock(),
                    InboundKind.CHOICE, choice_ids=outcome.choice_ids,
                    reply_to=str(message.message_id)))
                self._pages.forget(message.chat.id, message.message_id)
            await self._edit(query.message, outcome)
        finally:
            # Every press must be answered, or the client shows a spinner.
            await self._best_effort("answer press", query.answer(text=outcome.answer_text))

    async def _edit(self, message: object, outcome: PressOutcome) -> None:
        if not isinstance(message, Message):
            return
        if outcome.closed_text is not None:
            await self._best_effort("close keyboard", message.edit_text(outcome.closed_text))
        elif outcome.markup is not None or outcome.close:
            await self._best_effort("edit keyboard",
                                    message.edit_reply_markup(reply_markup=outcome.markup))

    @staticmethod
    async def _best_effort(what: str, call: Awaitable[object]) -> None:
        try:
            await call
        except TelegramError as exc:
            # Type only: Telegram's text can quote the chat.
            _log.warning("telegram %s failed: %s", what, type(exc).__name__)
