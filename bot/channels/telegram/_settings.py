"""Settings of the Telegram channel, checked once at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from bot.errors import ConfigError

__all__ = ["TelegramSettings"]

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How Praatmee reaches Telegram.

    ``api_base_url`` has PTB's ``base_url`` form (``https://api.telegram.org/bot``);
    PTB appends the token. A local stand-in (127.0.0.1/localhost) may take a
    plain-http ``webhook_url``; the real API only calls https webhooks.
    Errors name the ``PRAATMEE_TELEGRAM_*`` variable and never echo a secret.
    """

    token: str = field(repr=False)
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_url: str | None = None
    secret: str | None = field(default=None, repr=False)
    api_base_url: str = "https://api.telegram.org/bot"
    #: For deep links in the group note; taken from getMe when left out.
    bot_username: str | None = None
    #: Long-polling timeout in seconds (polling mode).
    poll_timeout: float = 30.0
    #: Wait before fetching again after a failed update or network error (polling mode).
    poll_retry_delay: float = 2.0

    def __post_init__(self) -> None:
        if ":" not in self.token:
            raise ConfigError("PRAATMEE_TELEGRAM_TOKEN must be a bot token like 123456:ABC...")
        if self.mode not in ("webhook", "polling"):
            raise ConfigError(
                f"PRAATMEE_TELEGRAM_MODE must be webhook or polling, not {self.mode!r}")
        api = urlsplit(self.api_base_url)
        if api.scheme not in ("http", "https") or not api.hostname:
            raise ConfigError("PRAATMEE_TELEGRAM_API_BASE_URL must be an http(s) URL")
        if self.bot_username is not None and not _USERNAME_RE.match(self.bot_username):
            raise ConfigError("PRAATMEE_TELEGRAM_BOT_USERNAME is not a Telegram username")
        if self.poll_timeout < 0 or self.poll_retry_delay < 0:
            raise ConfigError("PRAATMEE_TELEGRAM_POLL_TIMEOUT must not be negative")
        if self.mode == "webhook":
            self._check_webhook(local_api=api.hostname in _LOCAL_HOSTS)

    def _check_webhook(self, *, local_api: bool) -> None:
        if not self.webhook_url:
            raise ConfigError("PRAATMEE_TELEGRAM_WEBHOOK_URL is required in webhook mode")
        scheme = urlsplit(self.webhook_url).scheme
        if scheme != "https" and not (local_api and scheme == "http"):
            raise ConfigError("PRAATMEE_TELEGRAM_WEBHOOK_URL must start with https://")
        if not self.secret or not _SECRET_RE.match(self.secret):
            raise ConfigError(
                "PRAATMEE_TELEGRAM_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"
            )
