"""``POST /webhooks/telegram``: check the secret, then hand the update on.

Telegram sends the secret from setWebhook in ``X-Telegram-Bot-Api-Secret-Token``
(PTB's own tornado handler checks it the same way). A forged or missing header
gets 403 before the body is read, and nothing is logged about it. The answer is
200 only once the sink accepted the update; any failure is a 500 so Telegram
delivers it again (the runtime de-duplicates on ``tg-update-<update_id>``).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

from aiohttp import web
from telegram import Bot, Update

from bot.channels.telegram._handler import UpdateHandler

__all__ = ["SECRET_HEADER", "WEBHOOK_PATH", "WebhookRoute"]

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_log = logging.getLogger(__name__)


class WebhookRoute:
    __slots__ = ("_bot", "_handler", "_secret")

    def __init__(self, secret: str, bot: Callable[[], Bot],
                 handler: Callable[[], UpdateHandler]) -> None:
        self._secret = secret.encode()
        self._bot = bot
        self._handler = handler

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, self._bot())
        except (ValueError, KeyError, TypeError, AttributeError):
            return web.Response(status=400, text="malformed update")
        try:
            await self._handler().process(update)
        except Exception as exc:  # the sink's failure: make Telegram redeliver
            _log.error("telegram update %s not accepted: %s", update.update_id,
                       type(exc).__name__)
            return web.Response(status=500)
        return web.Response(status=200)
