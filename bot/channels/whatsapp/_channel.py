"""The WhatsApp Cloud API channel: webhook in, Graph API out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

import aiohttp
from aiohttp import web

from bot.channels.base import Channel, Pacing, SendReceipt, TemplateMessage, WebhookSink
from bot.errors import BadRequest, ChannelError
from bot.messages import InboundRecord, OutboundMessage

from ._client import GraphClient
from ._render import RenderOptions, render, render_template
from ._settings import Address, WhatsAppNumber, WhatsAppSettings
from ._webhook import WebhookHandler

__all__ = ["WEBHOOK_PATH", "WhatsAppChannel"]

_log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"


class WhatsAppChannel(Channel):
    """One Meta app with one or more business numbers (one per municipality).

    Inbound messages are routed on ``metadata.phone_number_id``; their
    ``address`` is ``"<phone_number_id>:<user>"`` so the reply goes out from
    the number the person wrote to. ``send`` posts every body of a rendered
    message in order and returns the id of the last one, which carries the
    choices; when a later part fails, the sender's retry repeats earlier parts.
    """

    name: ClassVar[str] = "whatsapp"
    #: A free-form message outside the 24-hour window is accepted, then fails (131047).
    reports_failures_later: ClassVar[bool] = True
    #: A participant's message opens 24 hours for free-form messages; after that only templates.
    service_window: ClassVar[timedelta | None] = timedelta(hours=24)
    #: Meta's defaults: 80 messages/s per number; pair rate 1 per 6 s with bursts.
    pacing: ClassVar[Pacing] = Pacing(
        overall_per_second=80, per_recipient_interval=6.0, per_recipient_burst=5
    )

    def __init__(
        self,
        settings: WhatsAppSettings,
        sink: WebhookSink,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._settings = settings
        self._own_session = session is None
        self._session = session
        self._client: GraphClient | None = (
            GraphClient(session, settings.api_base_url) if session is not None else None
        )
        self._options = RenderOptions(
            list_button=settings.list_button,
            number_hint=settings.number_hint,
            multi_hint=settings.multi_hint,
        )
        self._webhook = WebhookHandler(
            settings, sink, self._mark_read_later if settings.mark_read else None
        )
        self._tasks: set[asyncio.Task[None]] = set()
        if settings.overall_per_second != self.pacing.overall_per_second:
            # A number upgraded to a higher throughput tier; the sender reads this.
            self.pacing = Pacing(  # type: ignore[misc]
                overall_per_second=settings.overall_per_second,
                per_recipient_interval=6.0,
                per_recipient_burst=5,
            )

    async def initialize(self) -> None:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self._settings.request_timeout)
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._client = GraphClient(self._session, self._settings.api_base_url)

    async def shutdown(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
            self._client = None

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        return (
            web.get(WEBHOOK_PATH, self._webhook.verify, allow_head=False),
            web.post(WEBHOOK_PATH, self._webhook.receive),
        )

    def health(self) -> dict[str, str]:
        return {"status": "ok" if self._client is not None else "not initialised"}

    async def send(self, address: str, message: OutboundMessage) -> SendReceipt:
        target, number, client = self._route(address)
        wamid: str | None = None
        for body in render(message, self._options):
            wamid = await client.send(number, target, body)
        return SendReceipt(wamid)

    async def send_template(self, address: str, template: TemplateMessage) -> SendReceipt:
        target, number, client = self._route(address)
        body = render_template(template.name, template.language, template.params)
        return SendReceipt(await client.send(number, target, body))

    def _route(self, address: str) -> tuple[Address, WhatsAppNumber, GraphClient]:
        target = Address.parse(address)
        number = self._settings.number(target.phone_number_id)
        if number is None:
            raise BadRequest("WhatsApp address names a phone_number_id that is not configured")
        if self._client is None:
            raise ChannelError("WhatsApp channel used before initialize()")
        return target, number, self._client

    def _mark_read_later(self, message: InboundRecord) -> None:
        """Blue ticks and "typing…" after the webhook was accepted; best effort."""
        task = asyncio.get_running_loop().create_task(self._mark_read(message["address"], message["id"]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _mark_read(self, address: str | None, wamid: str) -> None:
        if self._client is None or address is None:
            return
        number = self._settings.number(Address.parse(address).phone_number_id)
        if number is None:
            return
        try:
            await self._client.mark_read(number, wamid)
        except ChannelError as exc:
            _log.info("whatsapp mark-read failed: %s", type(exc).__name__)
