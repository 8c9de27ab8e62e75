"""The Telegram channel (python-telegram-bot v22 as transport)."""

from bot.channels.telegram._channel import ALLOWED_UPDATES, TelegramChannel
from bot.channels.telegram._settings import TelegramSettings
from bot.channels.telegram._webhook import SECRET_HEADER, WEBHOOK_PATH

__all__ = ["ALLOWED_UPDATES", "SECRET_HEADER", "WEBHOOK_PATH", "TelegramChannel",
           "TelegramSettings"]
