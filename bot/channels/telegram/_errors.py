"""Telegram errors become Praatmee errors here, in one function."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from telegram import error as tg
from telegram.warnings import PTBDeprecationWarning

from bot.errors import BadRequest, ChannelError, Forbidden, RetryAfter, TransientError

__all__ = ["mapped_errors", "retry_after_of", "translate"]


def translate(exc: tg.TelegramError) -> ChannelError:
    """The Praatmee error for a PTB error; PTB already keyed it on the HTTP status.

    Order matters: PTB's BadRequest and TimedOut are subclasses of NetworkError.
    A 429 pauses every Telegram send (``per_recipient=False``): Telegram does not
    say which limit was hit.
    """
    if isinstance(exc, tg.RetryAfter):
        return RetryAfter(retry_after_of(exc), "telegram: too many requests")
    if isinstance(exc, tg.Forbidden):
        return Forbidden(f"telegram: {exc.message}")
    if isinstance(exc, tg.InvalidToken):
        # Transient, not ConfigError: a sender keeps (and retries) its messages while an
        # operator fixes the token; at start-up it still stops the service with this text.
        return TransientError("telegram refused the bot token: check PRAATMEE_TELEGRAM_TOKEN")
    if isinstance(exc, tg.ChatMigrated):
        return BadRequest("telegram: the group became a supergroup")
    if isinstance(exc, tg.BadRequest):
        return BadRequest(f"telegram: {exc.message}")
    # TimedOut, NetworkError (5xx, connection trouble), Conflict and anything new.
    return TransientError(f"telegram: {type(exc).__name__}: {exc.message}")


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Raise the translated error ``from`` the PTB one."""
    try:
        yield
    except tg.TelegramError as exc:
        raise translate(exc) from exc


def retry_after_of(exc: tg.RetryAfter) -> timedelta:
    # Without PTB_TIMEDELTA=true PTB 22 returns an int and warns; accept both forms.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
