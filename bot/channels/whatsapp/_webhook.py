"""The Meta webhook endpoint: verification handshake and signed POSTs.

A POST is acknowledged with 200 only after every message and status in it was
accepted by the sink; anything else makes Meta redeliver (for up to 7 days),
and the runtime de-duplicates on the ``wamid``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable

from aiohttp import web

from bot import fastjson
from bot.channels.base import WebhookSink
from bot.messages import InboundRecord

from ._parse import ParsedWebhook, PayloadError, parse_webhook
from ._settings import WhatsAppSettings

__all__ = ["MAX_BODY_BYTES", "WebhookHandler", "signature_matches"]

_log = logging.getLogger(__name__)

#: Meta's payloads are at most 3 MB.
MAX_BODY_BYTES = 3 * 1024 * 1024
_SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_matches(app_secret: str, body: bytes, header: str) -> bool:
    """Check ``sha256=<hex>`` against an HMAC-SHA256 of the exact body bytes.

    Meta signs the bytes it sends (JSON with non-ASCII escaped as ``\\uXXXX``);
    hashing re-serialised JSON would reject genuine payloads.
    """
    scheme, _, digest = header.partition("=")
    if scheme != "sha256" or not digest:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


class WebhookHandler:
    """aiohttp handlers for ``GET`` and ``POST /webhooks/whatsapp``."""

    __slots__ = ("_after_accept", "_settings", "_sink")

    def __init__(
        self,
        settings: WhatsAppSettings,
        sink: WebhookSink,
        after_accept: Callable[[InboundRecord], None] | None = None,
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._after_accept = after_accept

    async def verify(self, request: web.Request) -> web.Response:
        """Answer Meta's subscription handshake with the challenge, or 403."""
        query = request.query
        token = query.get("hub.verify_token", "")
        challenge = query.get("hub.challenge", "")
        valid = hmac.compare_digest(token.encode(), self._settings.verify_token.encode())
        if query.get("hub.mode") != "subscribe" or not valid or not challenge:
            _log.warning("whatsapp webhook verification refused")
            return web.Response(status=403, text="verification failed")
        return web.Response(status=200, text=challenge)

    async def receive(self, request: web.Request) -> web.Response:
        """Verify, parse, hand on; 200 only when everything was accepted."""
        body = await _read_body(request)
        if body is None:
            return web.Response(status=413, text="payload too large")
        header = request.headers.get(_SIGNATURE_HEADER)
        if not header:
            return web.Response(status=401, text="signature missing")
        if not signature_matches(self._settings.app_secret, body, header):
            return web.Response(status=403, text="signature mismatch")
        try:
            parsed = parse_webhook(fastjson.loads(body), self._municipality_of)
        except ValueError as exc:  # JSONDecodeError and PayloadError
            reason = "malformed JSON" if not isinstance(exc, PayloadError) else str(exc)
            _log.warning("whatsapp webhook refused: %s", reason)
            return web.Response(status=400, text=reason)
        _log_unusual(parsed)
        try:
            # All of them with one write, in the order Meta sent them.
            await self._sink.accept_all(parsed.messages)
            for status in parsed.statuses:
                await self._sink.status(status)
        except Exception as exc:
            # Only the type: a store error may echo the raw text it failed to write.
            _log.error("whatsapp webhook not accepted (%s); Meta will redeliver",
                       type(exc).__name__)
            return web.Response(status=500, text="not accepted, retry")
        if self._after_accept is not None:
            for message in parsed.messages:
                self._after_accept(message)
        return web.Response(status=200, text="ok")

    def _municipality_of(self, phone_number_id: str) -> str | None:
        number = self._settings.number(phone_number_id)
        return None if number is None else number.municipality


async def _read_body(request: web.Request) -> bytes | None:
    """The raw body, or None when it is over Meta's 3 MB maximum."""
    length = request.content_length
    if length is not None:  # Meta's case: the stream ends after that many bytes
        return None if length > MAX_BODY_BYTES else await request.content.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _log_unusual(parsed: ParsedWebhook) -> None:
    if parsed.unknown_numbers:
        _log.warning(
            "whatsapp webhook for phone_number_id(s) not configured here: %s",
            ", ".join(sorted(parsed.unknown_numbers)),
        )
    if parsed.error_codes:
        _log.warning("whatsapp webhook reported Graph errors: %s", parsed.error_codes)
