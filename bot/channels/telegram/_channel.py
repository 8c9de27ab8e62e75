"""The Telegram channel: PTB as transport, our runtime behind an InboundSink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from aiohttp import web
from telegram.ext import Application, ApplicationBuilder

from bot.channels.base import Channel, InboundSink, Pacing, SendReceipt
from bot.channels.telegram._errors import mapped_errors
from bot.channels.telegram._handler import UpdateHandler, utcnow
from bot.channels.telegram._keyboards import PageMemory
from bot.channels.telegram._polling import Poller
from bot.channels.telegram._render import render
from bot.channels.telegram._settings import TelegramSettings
from bot.channels.telegram._texts import COMMANDS
from bot.channels.telegram._webhook import WEBHOOK_PATH, WebhookRoute
from bot.errors import BadRequest
from bot.messages import OutboundMessage

__all__ = ["ALLOWED_UPDATES", "TelegramChannel"]

#: Everything else (channel posts, reactions, polls...) Telegram need not send.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


class TelegramChannel(Channel):
    """Telegram through python-telegram-bot's Application (no persistence, no Updater).

    The Application is used for its Bot and lifecycle only: updates are handled
    inline by :class:`UpdateHandler` so a webhook is acknowledged, or a polled
    update confirmed, only after the sink accepted it. Sends are not paced or
    retried here; the Telegram sender does that with :attr:`pacing`.
    """

    name: ClassVar[str] = "telegram"
    pacing: ClassVar[Pacing] = Pacing(
        overall_per_second=30, per_recipient_interval=1.0, per_recipient_burst=1,
        group_per_minute=20,
    )

    def __init__(self, settings: TelegramSettings, sink: InboundSink, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._settings = settings
        self._app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder().token(settings.token).base_url(settings.api_base_url)
            .updater(None).job_queue(None).build()
        )
        self._username = settings.bot_username
        self._pages = PageMemory()
        self._handler = UpdateHandler(self._app.bot, sink, self._pages, lambda: self._username,
                                      clock)
        self._poller: Poller | None = None

    async def initialize(self) -> None:
        bot = self._app.bot
        with mapped_errors():
            try:
                await self._app.initialize()  # getMe
            except BaseException:
                # PTB's shutdown skips a bot whose getMe failed; close its connections here.
                await bot.request.shutdown()
                raise
            self._username = self._settings.bot_username or bot.username
            for language, commands in COMMANDS.items():
                await bot.set_my_commands(commands, language_code=language or None)
            if self._settings.mode == "webhook":
                await bot.set_webhook(self._settings.webhook_url or "",
                                      secret_token=self._settings.secret,
                                      allowed_updates=list(ALLOWED_UPDATES))
                return
            await bot.delete_webhook()
        self._poller = Poller(bot, self._handler.process, timeout=self._settings.poll_timeout,
                              retry_delay=self._settings.poll_retry_delay,
                              allowed_updates=ALLOWED_UPDATES)
        self._poller.start()

    async def shutdown(self) -> None:
        if self._poller is not None:
            await self._poller.stop()
            self._poller = None
        await self._app.shutdown()  # a no-op when initialize failed

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        if self._settings.mode != "webhook" or not self._settings.secret:
            return ()
        route = WebhookRoute(self._settings.secret, lambda: self._app.bot, lambda: self._handler)
        return (web.post(WEBHOOK_PATH, route.handle),)

    def health(self) -> dict[str, str]:
        if self._settings.mode == "polling":
            polling = self._poller is not None and self._poller.running
            return {"status": "ok" if polling else "down", "mode": "polling"}
        return {"status": "ok", "mode": "webhook"}

    async def send(self, address: str, message: OutboundMessage) -> SendReceipt:
        """Send text (split past 4096 characters) with the keyboard on the last part.

        If a later part fails, earlier parts were delivered; a retry by the
        sender repeats them. Messages over 4096 characters are rare for a B1 bot.
        """
        try:
            chat_id = int(address)
        except ValueError as exc:
            raise BadRequest("a Telegram address is a numeric chat id") from exc
        rendered = render(message)
        bot = self._app.bot
        with mapped_errors():
            for text in rendered.chunks[:-1]:
                await bot.send_message(chat_id, text)
            sent = await bot.send_message(chat_id, rendered.chunks[-1],
                                          reply_markup=rendered.markup)
        if rendered.paged:
            self._pages.remember(chat_id, sent.message_id, rendered.paged)
        return SendReceipt(str(sent.message_id))
