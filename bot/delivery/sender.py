"""The one sender per platform: opens the sealed address, paces, sends, and says
what became of the message. Only a sender calls a platform to send.

Contract (after python-telegram-bot's ``BaseRateLimiter``): ``deliver`` returns
only once the outcome is known, and it never retries by itself; the worker acts
on the outcome (delete, reschedule, hold or give up).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.channels.base import Channel, TemplateMessage
from bot.delivery.pacer import Pacer
from bot.delivery.payload import decode
from bot.messages import OutboundMessage
from bot.errors import BadRequest, Forbidden, OutsideWindow, RetryAfter, TransientError
from bot.stores.sql.outbox import OutboxRow
from moderation.sealing import AddressSealer, SealError

__all__ = ["Delivered", "Failed", "Held", "Outcome", "Retry", "Sender"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 2.0
BACKOFF_MAX = 15 * 60.0


@dataclass(frozen=True, slots=True)
class Delivered:
    platform_message_id: str | None
    #: It went as its pre-approved template (the platform's window was closed).
    template: bool = False


@dataclass(frozen=True, slots=True)
class Retry:
    after: timedelta
    reason: str


@dataclass(frozen=True, slots=True)
class Held:
    """Outside WhatsApp's 24-hour window with no template: wait for the participant."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str
    code: int | None = None
    #: The participant can no longer be reached on this channel (blocked us...).
    unreachable: bool = False


Outcome = Delivered | Retry | Held | Failed


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_MAX, BACKOFF_BASE ** max(0, attempts)))


class Sender:
    __slots__ = ("channel", "pacer", "_sealer", "_templates")

    def __init__(
        self,
        channel: Channel,
        sealer: AddressSealer,
        *,
        pacer: Pacer | None = None,
        templates: dict[str, TemplateMessage] | None = None,
    ) -> None:
        self.channel = channel
        self.pacer = pacer or Pacer(channel.pacing)
        self._sealer = sealer
        #: Template per purpose (e.g. "prompt", "feedback") for messages outside the window.
        self._templates = templates or {}

    async def deliver(self, row: OutboxRow) -> Outcome:
        try:
            address = self._sealer.open(row.address_enc)
        except SealError:
            return Failed("sealed address cannot be opened (key rotated away?)")
        message = decode(row.payload)
        key = row.pseudonym or hashlib.sha256(address.encode()).hexdigest()
        if row.via_template:
            # The window is closed (the worker knows when they last wrote, or the platform
            # refused it, perhaps only in a later status report): free-form text would be
            # refused.
            return await self._outside_window(row, address, message, key)
        try:
            async with self.pacer.turn(key):
                receipt = await self.channel.send(address, message)
        except RetryAfter as exc:
            return self._wait(exc, key)
        except OutsideWindow:
            return await self._outside_window(row, address, message, key)
        except TransientError as exc:
            if row.attempts >= MAX_ATTEMPTS:
                return Failed(f"gave up after {row.attempts} attempts: {exc}")
            return Retry(backoff(row.attempts), f"transient: {exc}")
        except Forbidden as exc:
            return Failed(f"forbidden: {exc}", unreachable=True)
        except BadRequest as exc:
            log.warning("%s refused a message (%s)", self.channel.name, type(exc).__name__)
            return Failed(f"bad request: {exc}")
        return Delivered(receipt.platform_message_id)

    async def _outside_window(self, row: OutboxRow, address: str, message: OutboundMessage,
                              key: str) -> Outcome:
        """Its template if the message has one configured; otherwise wait for the participant."""
        if not (message.template and message.template in self._templates):
            return Held("outside the 24-hour window and no template for this message")
        try:
            async with self.pacer.turn(key):
                receipt = await self.channel.send_template(address, self._template(message))
        except RetryAfter as exc:
            return self._wait(exc, key)
        except (Forbidden, BadRequest) as exc:
            return Failed(f"template refused: {exc}", unreachable=isinstance(exc, Forbidden))
        except TransientError as exc:
            return Retry(backoff(row.attempts), f"template: {type(exc).__name__}")
        return Delivered(receipt.platform_message_id, template=True)

    def _wait(self, exc: RetryAfter, key: str) -> Retry:
        """The platform asked to slow down: pause this recipient or every send."""
        seconds = exc.retry_after.total_seconds()
        if exc.per_recipient:
            self.pacer.hold(key, seconds)
        else:
            self.pacer.pause(seconds)
        return Retry(exc.retry_after, f"{self.channel.name} asked to wait {seconds:g}s")

    def _template(self, message: OutboundMessage) -> TemplateMessage:
        base = self._templates[message.template or ""]
        return TemplateMessage(base.name, base.language, message.template_params or base.params)
