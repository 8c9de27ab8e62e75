"""Builders for Meta WhatsApp webhook payloads, shaped as Meta documents them.

Shapes follow developers.facebook.com/documentation/business-messaging/whatsapp
(webhooks/reference/messages, .../status, business-scoped-user-ids) and pywa's
MIT-licensed fixtures (tests/data/updates/*.json). Builders return plain dicts
so a test can still bend a payload out of shape on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]

WABA_ID = "102290129340398"
DEFAULT_TS = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True, slots=True)
class WaUser:
    """A WhatsApp user: always a BSUID, a phone number (wa_id) only sometimes."""

    bsuid: str
    wa_id: str | None = None
    name: str = "Sam"

    def contact(self) -> JSON:
        contact: JSON = {"profile": {"name": self.name}, "user_id": self.bsuid}
        if self.wa_id:
            contact["wa_id"] = self.wa_id
        return contact

    def sender(self) -> JSON:
        fields: JSON = {"from_user_id": self.bsuid}
        if self.wa_id:
            fields["from"] = self.wa_id
        return fields


def new_wamid() -> str:
    return "wamid.HBgL" + uuid.uuid4().hex.upper()


def _message(user: WaUser, kind: str, content: Any, *, wamid: str | None, ts: int,
             context_id: str | None = None) -> JSON:
    message: JSON = {**user.sender(), "id": wamid or new_wamid(), "timestamp": str(ts),
                     "type": kind}
    if content is not None:
        message[kind] = content
    if context_id:
        message["context"] = {"from": "31850000000", "id": context_id}
    return message


def text(user: WaUser, body: str, *, wamid: str | None = None, ts: int = DEFAULT_TS) -> JSON:
    return _message(user, "text", {"body": body}, wamid=wamid, ts=ts)


def button_reply(user: WaUser, reply_id: str, title: str, *, context_id: str,
                 wamid: str | None = None, ts: int = DEFAULT_TS) -> JSON:
    content = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    return _message(user, "interactive", content, wamid=wamid, ts=ts, context_id=context_id)


def list_reply(user: WaUser, reply_id: str, title: str, description: str = "", *,
               context_id: str, wamid: str | None = None, ts: int = DEFAULT_TS) -> JSON:
    row: JSON = {"id": reply_id, "title": title}
    if description:
        row["description"] = description
    content = {"type": "list_reply", "list_reply": row}
    return _message(user, "interactive", content, wamid=wamid, ts=ts, context_id=context_id)


def template_button(user: WaUser, payload: str, label: str, *, context_id: str,
                    wamid: str | None = None, ts: int = DEFAULT_TS) -> JSON:
    """A quick-reply button on a template message (``type: button``)."""
    content = {"payload": payload, "text": label}
    return _message(user, "button", content, wamid=wamid, ts=ts, context_id=context_id)


def _media(mime: str, **extra: Any) -> JSON:
    return {"id": uuid.uuid4().hex[:15], "mime_type": mime,
            "sha256": hashlib.sha256(b"x").hexdigest(), **extra}


def image(user: WaUser, caption: str = "", *, wamid: str | None = None) -> JSON:
    extra = {"caption": caption} if caption else {}
    return _message(user, "image", _media("image/jpeg", **extra), wamid=wamid, ts=DEFAULT_TS)


def voice(user: WaUser, *, wamid: str | None = None) -> JSON:
    return _message(user, "audio", _media("audio/ogg; codecs=opus", voice=True),
                    wamid=wamid, ts=DEFAULT_TS)


def video(user: WaUser, *, wamid: str | None = None) -> JSON:
    return _message(user, "video", _media("video/mp4"), wamid=wamid, ts=DEFAULT_TS)


def document(user: WaUser, filename: str = "cv.pdf", *, wamid: str | None = None) -> JSON:
    return _message(user, "document", _media("application/pdf", filename=filename),
                    wamid=wamid, ts=DEFAULT_TS)


def sticker(user: WaUser, *, wamid: str | None = None) -> JSON:
    return _message(user, "sticker", _media("image/webp", animated=False),
                    wamid=wamid, ts=DEFAULT_TS)


def location(user: WaUser, *, wamid: str | None = None) -> JSON:
    place = {"latitude": 52.0907, "longitude": 5.1214, "name": "Stadhuis",
             "address": "Stadhuisbrug 1, Utrecht"}
    return _message(user, "location", place, wamid=wamid, ts=DEFAULT_TS)


def contacts_card(user: WaUser, *, wamid: str | None = None) -> JSON:
    card = [{"name": {"formatted_name": "Jan de Vries", "first_name": "Jan"},
             "phones": [{"phone": "+31 6 12345678", "wa_id": "31612345678", "type": "CELL"}]}]
    return _message(user, "contacts", card, wamid=wamid, ts=DEFAULT_TS)


def reaction(user: WaUser, message_id: str, emoji: str | None, *,
             wamid: str | None = None) -> JSON:
    """A reaction; ``emoji=None`` is a removed reaction (Meta leaves the emoji out)."""
    content: JSON = {"message_id": message_id}
    if emoji is not None:
        content["emoji"] = emoji
    return _message(user, "reaction", content, wamid=wamid, ts=DEFAULT_TS)


def unsupported(user: WaUser, *, wamid: str | None = None) -> JSON:
    message = _message(user, "unsupported", {"type": "poll"}, wamid=wamid, ts=DEFAULT_TS)
    message["errors"] = [{"code": 131051, "title": "Message type unknown",
                          "message": "Message type unknown",
                          "error_data": {"details": "Message type is currently not supported."}}]
    return message


def system_number_change(user: WaUser, new_wa_id: str, new_bsuid: str) -> JSON:
    """Meta's notice that a user changed phone number (and so BSUID)."""
    content = {"body": f"User {user.name} changed from {user.wa_id} to {new_wa_id}",
               "wa_id": new_wa_id, "user_id": new_bsuid, "type": "user_changed_number"}
    return _message(user, "system", content, wamid=None, ts=DEFAULT_TS)


PRICING = {"billable": False, "pricing_model": "PMP", "category": "service",
           "type": "free_customer_service"}


def status(wamid: str, state: str, user: WaUser, *, ts: int = DEFAULT_TS,
           error_code: int | None = None) -> JSON:
    item: JSON = {"id": wamid, "status": state, "timestamp": str(ts),
                  "recipient_user_id": user.bsuid, "pricing": dict(PRICING)}
    if user.wa_id:
        item["recipient_id"] = user.wa_id
    if error_code is not None:
        item["errors"] = [{"code": error_code, "title": f"error {error_code}",
                           "message": f"error {error_code}",
                           "error_data": {"details": "see the error code"},
                           "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/"
                                   "support/error-codes/"}]
    return item


def value(phone_number_id: str, *, messages: Sequence[JSON] = (),
          statuses: Sequence[JSON] = (), users: Sequence[WaUser] = (),
          errors: Sequence[JSON] = ()) -> JSON:
    out: JSON = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "318500" + phone_number_id[-5:],
                              "phone_number_id": phone_number_id}}
    if users:
        out["contacts"] = [u.contact() for u in users]
    if messages:
        out["messages"] = list(messages)
    if statuses:
        out["statuses"] = list(statuses)
    if errors:
        out["errors"] = list(errors)
    return out


def graph_error(code: int) -> JSON:
    return {"code": code, "title": f"error {code}", "message": f"error {code}",
            "error_data": {"details": "see the error code"}}


def entry(*values: JSON, waba_id: str = WABA_ID, field: str = "messages") -> JSON:
    return {"id": waba_id, "changes": [{"field": field, "value": v} for v in values]}


def envelope(*entries: JSON) -> JSON:
    return {"object": "whatsapp_business_account", "entry": list(entries)}


def inbound(phone_number_id: str, user: WaUser, *messages: JSON) -> JSON:
    """The common case: one user's messages to one business number."""
    return envelope(entry(value(phone_number_id, messages=list(messages), users=[user])))


def meta_bytes(payload: JSON) -> bytes:
    """Serialise as Meta does: compact, non-ASCII as ``\\uXXXX``, ``/`` as ``\\/``."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for these exact bytes."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
