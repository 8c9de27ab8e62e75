"""The local web chat: a page where a person talks to the bot in the browser.

Praatmee is itself the platform here: the HTTP handler answers a message with
the bot's replies. Messages the bot sends on its own (prompts, feedback) go into
a per-session mailbox and wait there for the page's next message or poll.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Protocol

from aiohttp import web

from bot.channels.base import Channel, InboundSink, Pacing, SendReceipt
from bot.channels.webchat._api import ApiError, WebChatRequest, parse_request, render
from bot.delivery.payload import decode, encode
from bot.errors import PraatmeeError
from bot.messages import InboundKind, InboundMessage, OutboundMessage

__all__ = ["Mailbox", "WebChatChannel"]

MAX_BODY = 16 * 1024


class Mailbox(Protocol):
    async def push(self, key: str, value: str) -> None: ...

    async def drain(self, key: str) -> list[str]: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebChatChannel(Channel):
    name = "webchat"
    pacing = Pacing(overall_per_second=100_000, per_recipient_interval=0.0)

    def __init__(
        self, sink: InboundSink, mailbox: Mailbox, *, clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self._sink = sink
        self._mailbox = mailbox
        self._clock = clock
        self._page = resources.files("bot.channels.webchat").joinpath("static/index.html").read_bytes()

    @staticmethod
    def _box(session: str) -> str:
        # The session id is the participant's key on this channel: never a store key as is.
        return "webchat:box:" + hashlib.sha256(session.encode()).hexdigest()[:40]

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        return [
            web.get("/", self._index),
            web.post("/api/webchat/messages", self._post),
            web.get("/api/webchat/messages", self._poll),
        ]

    async def send(self, address: str, message: OutboundMessage) -> SendReceipt:
        await self._mailbox.push(self._box(address), encode(message))
        return SendReceipt(None)

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._page,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                     "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                     "script-src 'self' 'unsafe-inline'"},
        )

    async def _post(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        try:
            raw = await request.content.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                return _error(413, f"body larger than {MAX_BODY} bytes")
            req = parse_request(json.loads(raw))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the body is not valid JSON")
        except ApiError as exc:
            return _error(400, str(exc))
        try:
            messages = await self.exchange(req)
        except PraatmeeError:
            return _error(503, "the bot cannot handle your message right now; please send it again")
        return web.json_response({"messages": messages}, headers={"Cache-Control": "no-store"})

    async def exchange(self, req: WebChatRequest) -> list[dict[str, Any]]:
        """Hand one message to the bot and return its replies (also for ``praatmee chat``)."""
        replies = await self._sink.accept(self._inbound(req))
        # Messages pushed earlier (a prompt, feedback) came before this answer.
        pushed = [decode(raw) for raw in await self._mailbox.drain(self._box(req.session))]
        return [render(m) for m in (*pushed, *replies)]

    async def _poll(self, request: web.Request) -> web.Response:
        session = request.query.get("session", "")
        try:
            parse_request({"session": session, "start": None})
        except ApiError as exc:
            return _error(400, str(exc))
        return await self._reply(session)

    async def _reply(self, session: str) -> web.Response:
        messages = [render(decode(raw)) for raw in await self._mailbox.drain(self._box(session))]
        return web.json_response({"messages": messages}, headers={"Cache-Control": "no-store"})

    @staticmethod
    def _message_id(req: WebChatRequest) -> str:
        """The client's id, scoped to its session: two pages may both number from "m0".

        Hashed, so the session id never becomes part of a de-duplication key.
        """
        if req.client_id is None:
            return secrets.token_hex(12)
        return hashlib.sha256(f"{req.session}\x00{req.client_id}".encode()).hexdigest()[:32]

    def _inbound(self, req: WebChatRequest) -> InboundMessage:
        if req.is_start:
            kind = InboundKind.START
        elif req.choice_ids:
            kind = InboundKind.CHOICE
        else:
            kind = InboundKind.TEXT
        return InboundMessage(
            channel=self.name,
            channel_user_id=req.session,
            message_id=self._message_id(req),
            received_at=self._clock(),
            kind=kind,
            text=req.text,
            choice_ids=req.choice_ids,
            start_payload=req.start,
            address=req.session,
        )


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
