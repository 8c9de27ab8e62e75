"""A thin typed client for the two Graph API calls Praatmee makes.

Why not pywa (the best-kept WhatsApp library)? Its base URL is hard-coded to
``graph.facebook.com``, so tests could reach a local stand-in only through a
custom httpx transport; it awaits handlers before acknowledging a webhook and
de-duplicates in memory, both of which our runtime does differently; and it
brings httpx next to aiohttp. Sending is one POST, so a small client is less
code to trust than the adapter layer around a large SDK.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.errors import TransientError

from ._errors import map_graph_error
from ._settings import Address, WhatsAppNumber

__all__ = ["GraphClient"]


class GraphClient:
    """POSTs to ``<api_base_url>/<phone_number_id>/messages``.

    Every failure becomes one of :mod:`bot.errors` through
    :func:`~._errors.map_graph_error`; network trouble and timeouts become
    :class:`~bot.errors.TransientError`. It never retries by itself.
    """

    __slots__ = ("_base_url", "_session")

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")

    async def send(self, number: WhatsAppNumber, address: Address, body: dict[str, Any]) -> str:
        """Send one message body; return its ``wamid``."""
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        payload["recipient" if address.is_bsuid else "to"] = address.user
        payload.update(body)
        answer = await self._post(number, payload, context=f"send {body.get('type', '?')}")
        messages = answer.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            raise TransientError("Graph API answered a send without a message id")
        wamid = messages[0].get("id")
        if not isinstance(wamid, str) or not wamid:
            raise TransientError("Graph API answered a send without a message id")
        return wamid

    async def mark_read(self, number: WhatsAppNumber, wamid: str, *, typing: bool = True) -> None:
        """Mark an inbound message read (blue ticks), optionally showing "typing…"."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
        }
        if typing:
            payload["typing_indicator"] = {"type": "text"}
        await self._post(number, payload, context="mark read")

    async def _post(
        self, number: WhatsAppNumber, payload: dict[str, Any], *, context: str
    ) -> dict[str, Any]:
        url = f"{self._base_url}/{number.phone_number_id}/messages"
        headers = {"Authorization": f"Bearer {number.access_token}"}
        try:
            async with self._session.post(url, json=payload, headers=headers) as response:
                status = response.status
                try:
                    answer: object = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientError(f"WhatsApp {context}: {type(exc).__name__}") from exc
        if 200 <= status < 300 and isinstance(answer, dict):
            return answer
        if 200 <= status < 300:
            raise TransientError(f"WhatsApp {context}: answer is not a JSON object")
        raise map_graph_error(status, answer, context=f"WhatsApp {context}")
