"""The channel adapter contract.

A channel knows a transport, not dialogues. It turns platform payloads into
:class:`~bot.messages.InboundMessage`, hands each to an :class:`InboundSink`,
and renders :class:`~bot.messages.OutboundMessage` for its platform. It never
touches stores or the dialogue engine directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import ClassVar, Protocol, Self

from aiohttp import web

from bot.errors import BadRequest
from bot.messages import InboundMessage, InboundRecord, OutboundMessage

__all__ = [
    "Channel",
    "DeliveryState",
    "DeliveryStatus",
    "InboundSink",
    "Pacing",
    "SendReceipt",
    "TemplateMessage",
]


class DeliveryState(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """A platform's report on a message we sent (WhatsApp status webhooks)."""

    channel: str
    platform_message_id: str
    state: DeliveryState
    at: datetime
    channel_user_id: str | None = None
    #: Platform error code when ``state`` is FAILED (e.g. WhatsApp 131047).
    error_code: int | None = None
    #: FAILED, and every later message to this recipient would fail too.
    permanent: bool = False
    #: FAILED as outside the platform's window: send the message's template, or wait.
    outside_window: bool = False
    #: FAILED for a passing reason on the platform's side: sending again may work.
    passing: bool = False


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """What a successful send returns: the platform's id for the message."""

    platform_message_id: str | None


@dataclass(frozen=True, slots=True)
class Pacing:
    """A platform's published send limits, which its sender keeps to.

    ``per_recipient_interval`` is the minimum gap between two messages to one
    recipient; ``per_recipient_burst`` messages may go before the gap applies.
    """

    overall_per_second: float
    per_recipient_interval: float
    per_recipient_burst: int = 1
    #: Telegram groups: at most this many per minute per group chat (0: no rule).
    group_per_minute: int = 0


@dataclass(frozen=True, slots=True)
class TemplateMessage:
    """A pre-approved template (WhatsApp outside the 24-hour window)."""

    name: str
    language: str
    params: tuple[str, ...] = ()


class InboundSink(Protocol):
    """Where a channel hands what arrives.

    Important:
        ``accept`` returns only once the message is durably handled (answer
        stored, replies queued in the outbox). A channel acknowledges the
        platform's webhook only after that, so a platform retry never loses a
        message. If it raises, the channel must answer with a status that makes
        the platform retry (5xx), never 200.

        A channel that answers in the same exchange (the web chat) gets its
        replies back from ``accept``; for other channels, and for a message id
        handled before, the list is empty (their replies go through the outbox).
    """

    async def accept(self, message: InboundMessage) -> Sequence[OutboundMessage]: ...

    async def status(self, update: DeliveryStatus) -> None: ...


class WebhookSink(InboundSink, Protocol):
    """Where a platform that batches its webhooks (WhatsApp) hands one delivery whole."""

    async def accept_all(self, messages: Sequence[InboundRecord]) -> None:
        """Keep every message durably, in this order, or raise (then none may be counted
        as accepted: the platform redelivers them all, and repeats are recognised by id).

        Records, not :class:`InboundMessage`: the webhook builds them straight from the
        payload, so the platform's answer waits for as little work as possible."""
        ...


class Channel(ABC):
    """One messaging platform.

    Lifecycle: ``initialize`` then ``shutdown`` (or ``async with``). ``send`` is
    called only by that platform's sender, which owns pacing and retries.
    """

    name: ClassVar[str]
    pacing: ClassVar[Pacing]
    #: The platform may accept a message and refuse it later, in a status report (WhatsApp):
    #: a sent message is kept until a status confirms it or sends it another way.
    reports_failures_later: ClassVar[bool] = False
    #: Free-form messages only this long after the participant's last message (WhatsApp's
    #: customer service window); a push after it goes as its template or waits.
    service_window: ClassVar[timedelta | None] = None

    async def initialize(self) -> None:
        """Connect to the platform (e.g. register the webhook). Default: nothing."""

    async def shutdown(self) -> None:
        """Release connections. Must be safe to call after a failed ``initialize``."""

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        """aiohttp routes this channel serves on Praatmee's own port (webhooks)."""
        return ()

    def health(self) -> dict[str, str]:
        """A small status dict for ``GET /healthz``."""
        return {"status": "ok"}

    @abstractmethod
    async def send(self, address: str, message: OutboundMessage) -> SendReceipt:
        """Deliver one message to ``address``.

        Must only return once the platform accepted the message. Raises
        :class:`~bot.errors.RetryAfter` when asked to slow down,
        :class:`~bot.errors.TransientError` on network trouble or 5xx,
        :class:`~bot.errors.Forbidden` when the recipient cannot be reached any
        more and :class:`~bot.errors.BadRequest` when the payload was refused.
        It must not retry by itself.
        """

    async def send_template(self, address: str, template: TemplateMessage) -> SendReceipt:
        """Send a pre-approved template; only platforms with templates override this."""
        raise BadRequest(f"{self.name} has no template messages")

    async def __aenter__(self) -> Self:
        try:
            await self.initialize()
        except BaseException:
            await self.shutdown()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()
