"""Meta webhook payloads → inbound records and DeliveryStatus.

Pure: no I/O, so the webhook can check the whole payload before handing on
anything. Every entry, change, message and status is read, never only ``[0]``.
Messages come out as :class:`~bot.messages.InboundRecord` (plain data, what the
inbox keeps): the webhook answers Meta before anything more is made of them.

Identity: ``channel_user_id`` is the business-scoped user id (BSUID,
``messages[].from_user_id`` / ``contacts[].user_id``) when the payload has one,
else the phone number (``from`` / ``wa_id``). Since 2026 every webhook carries
the BSUID and some users (with a username) arrive without a phone number at
all, so keying on the BSUID keeps one person one key whether or not the number
is present. The BSUID changes when a user changes phone number; Meta announces
that with a ``system`` message, which is ignored: the person then starts afresh,
as with a new phone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.channels.base import DeliveryState, DeliveryStatus
from bot.errors import OutsideWindow, RetryAfter, TransientError
from bot.messages import InboundKind, InboundRecord

from ._errors import PERMANENT_CODES, map_graph_error
from ._render import CHOICE_PREFIX, strip_choice_id
from ._settings import Address

__all__ = ["CHANNEL", "ParsedWebhook", "PayloadError", "parse_webhook"]

CHANNEL = "whatsapp"

_STATES = {
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "played": DeliveryState.READ,  # a voice note played has been read
    "failed": DeliveryState.FAILED,
}


#: 9999-12-31T23:59:59Z, the last second a datetime holds.
_LAST_SECOND = 253_402_300_799


class PayloadError(ValueError):
    """The payload is not a WhatsApp Business Account messages webhook."""


@dataclass(frozen=True, slots=True)
class ParsedWebhook:
    """What one webhook POST carried, in the order Meta sent it."""

    messages: tuple[InboundRecord, ...]
    statuses: tuple[DeliveryStatus, ...]
    #: System events, error-only values and changes of other fields.
    ignored: int
    #: Changes for a phone_number_id this service does not serve.
    unknown_numbers: frozenset[str]
    #: Graph error codes reported in ``value.errors`` (no personal data).
    error_codes: tuple[int, ...]


def parse_webhook(data: object, municipality_of: Callable[[str], str | None]) -> ParsedWebhook:
    """Read a decoded webhook body; raise :class:`PayloadError` on a wrong shape.

    ``municipality_of`` gives the municipality of a ``phone_number_id`` this service
    serves, None for any other number.
    """
    body = _mapping(data, "body")
    if body.get("object") != "whatsapp_business_account":
        raise PayloadError("object is not whatsapp_business_account")
    messages: list[InboundRecord] = []
    statuses: list[DeliveryStatus] = []
    unknown: set[str] = set()
    error_codes: list[int] = []
    ignored = 0
    for entry in _list(body.get("entry"), "entry", required=True):
        for change in _list(_mapping(entry, "entry").get("changes"), "changes", required=True):
            change = _mapping(change, "change")
            value = _mapping(change.get("value"), "value")
            if change.get("field") != "messages":
                ignored += 1
                continue
            number = _str(_mapping(value.get("metadata"), "metadata").get("phone_number_id"))
            if number is None or not number.isdigit():
                raise PayloadError("metadata.phone_number_id missing")
            contacts = [_mapping(c, "contact") for c in _list(value.get("contacts"), "contacts")]
            raw_messages = _list(value.get("messages"), "messages")
            raw_statuses = _list(value.get("statuses"), "statuses")
            for error in _list(value.get("errors"), "errors"):
                code = _mapping(error, "error").get("code")
                if isinstance(code, int):
                    error_codes.append(code)
            if not raw_messages and not raw_statuses:
                ignored += 1
            municipality = municipality_of(number)
            if municipality is None:
                unknown.add(number)
                continue
            for raw in raw_messages:
                message = _message(_mapping(raw, "message"), number, contacts, municipality)
                if message is None:
                    ignored += 1
                else:
                    messages.append(message)
            for raw in raw_statuses:
                status = _status(_mapping(raw, "status"))
                if status is None:
                    ignored += 1
                else:
                    statuses.append(status)
    return ParsedWebhook(
        tuple(messages), tuple(statuses), ignored, frozenset(unknown), tuple(error_codes)
    )


def _message(
    raw: Mapping[str, Any], number: str, contacts: list[Mapping[str, Any]], municipality: str
) -> InboundRecord | None:
    wamid = _str(raw.get("id"))
    kind_name = _str(raw.get("type"))
    if not wamid or not kind_name:
        raise PayloadError("message without id or type")
    at = _unix_seconds(raw.get("timestamp"))
    user = _user_key(raw, contacts)
    if kind_name == "system":
        return None  # number/user-id change notices: see the module docstring
    context = raw.get("context")
    reply_to = _str(context.get("id")) if isinstance(context, dict) else None
    kind = InboundKind.UNSUPPORTED
    text: str | None = None
    choice_ids: list[str] = []
    if kind_name == "text":
        text = _str(_mapping(raw.get("text"), "text").get("body"))
        kind = InboundKind.TEXT if text else InboundKind.UNSUPPORTED
    elif kind_name == "interactive":
        interactive = _mapping(raw.get("interactive"), "interactive")
        reply = interactive.get(_str(interactive.get("type")) or "")
        picked = _str(reply.get("id")) if isinstance(reply, dict) else None
        if interactive.get("type") in ("button_reply", "list_reply") and picked:
            kind, choice_ids = InboundKind.CHOICE, [strip_choice_id(picked)]
    elif kind_name == "button":
        # A quick reply on a template. Our own payloads carry the choice prefix;
        # any other (Meta's default payload is the label, e.g. "Stop") reads as
        # if the person had typed the label, so "Stop" stops.
        button = _mapping(raw.get("button"), "button")
        payload = _str(button.get("payload"))
        label = _str(button.get("text"))
        if payload and payload.startswith(CHOICE_PREFIX):
            kind, choice_ids = InboundKind.CHOICE, [strip_choice_id(payload)]
        elif label or payload:
            kind, text = InboundKind.TEXT, label or payload
    elif kind_name == "request_welcome":
        kind = InboundKind.START
    return {
        "channel": CHANNEL, "user": user, "id": wamid, "at": at, "kind": kind.value,
        "text": text, "choices": choice_ids, "start": None, "address": Address.join(number, user),
        "lang": None, "reply_to": reply_to, "municipality": municipality,
    }


def _user_key(raw: Mapping[str, Any], contacts: list[Mapping[str, Any]]) -> str:
    bsuid = _str(raw.get("from_user_id"))
    phone = _str(raw.get("from"))
    if not bsuid and phone:
        for contact in contacts:
            if contact.get("wa_id") == phone:
                bsuid = _str(contact.get("user_id"))
                break
    user = bsuid or phone
    if not user:
        raise PayloadError("message without from or from_user_id")
    return user


def _status(raw: Mapping[str, Any]) -> DeliveryStatus | None:
    wamid = _str(raw.get("id"))
    if not wamid:
        raise PayloadError("status without id")
    state = _STATES.get(_str(raw.get("status")) or "")
    at = datetime.fromtimestamp(_unix_seconds(raw.get("timestamp")), UTC)
    if state is None:
        return None
    code: int | None = None
    for error in _list(raw.get("errors"), "errors"):
        value = _mapping(error, "error").get("code")
        if isinstance(value, int):
            code = value
            break
    failed = state is DeliveryState.FAILED
    # The same codes as a refused send, read the same way (the one mapping).
    error = map_graph_error(200, {"error": {"code": code}}) if failed and code is not None else None
    return DeliveryStatus(
        channel=CHANNEL,
        platform_message_id=wamid,
        state=state,
        at=at,
        channel_user_id=_str(raw.get("recipient_user_id")) or _str(raw.get("recipient_id")),
        error_code=code,
        permanent=failed and code in PERMANENT_CODES,
        outside_window=failed and isinstance(error, OutsideWindow),
        passing=failed and isinstance(error, (TransientError, RetryAfter)),
    )


def _unix_seconds(value: object) -> int:
    # Checked here, whole: a record is turned into a datetime only after the answer.
    seconds = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else -1
    if 0 <= seconds <= _LAST_SECOND:
        return seconds
    raise PayloadError("timestamp is not a unix time string")


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    # dict, not the Mapping ABC: JSON decodes to dicts, and the ABC's check cost a
    # sixth of the parse (called about ten times per message).
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is not an object")
    return value


def _list(value: object, what: str, *, required: bool = False) -> list[Any]:
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{what} is not a list")
    return value


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
