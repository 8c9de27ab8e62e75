"""One small error hierarchy. Platform status codes map to these in exactly one
function per platform; always ``raise ... from exc``."""

from __future__ import annotations

from datetime import timedelta

__all__ = [
    "BadRequest",
    "ChannelError",
    "ConfigError",
    "DialogueError",
    "Forbidden",
    "OutsideWindow",
    "PraatmeeError",
    "RetryAfter",
    "StoreUnavailable",
    "TransientError",
]


class PraatmeeError(Exception):
    """Base of every error Praatmee raises on purpose."""


class ConfigError(PraatmeeError):
    """A setting is missing or wrong; the message names the ``PRAATMEE_*`` variable."""


class DialogueError(PraatmeeError):
    """A dialogue file is invalid; carries the file and line of the problem."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class StoreUnavailable(PraatmeeError):
    """A store could not be reached; the message must be retried, never dropped."""


class ChannelError(PraatmeeError):
    """A platform call failed."""


class RetryAfter(ChannelError):
    """The platform asked us to slow down; retry after ``retry_after``."""

    def __init__(
        self, retry_after: timedelta, message: str = "", *, per_recipient: bool = False
    ) -> None:
        self.retry_after = retry_after
        #: True when only this recipient is limited (WhatsApp 131056); False pauses
        #: every send on the platform (Telegram 429, WhatsApp 130429).
        self.per_recipient = per_recipient
        super().__init__(message or f"retry after {retry_after.total_seconds():g}s")


class TransientError(ChannelError):
    """A network error or 5xx: retry with backoff."""


class Forbidden(ChannelError):
    """The participant blocked the bot or cannot be reached: never retry."""


class BadRequest(ChannelError):
    """The platform refused the message as malformed: never retry the same payload."""


class OutsideWindow(BadRequest):
    """WhatsApp refused free-form text outside the 24-hour window (131047): use a template."""
