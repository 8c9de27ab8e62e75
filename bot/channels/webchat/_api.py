"""The web chat's JSON API: request validation and the response shape."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.messages import OutboundMessage

__all__ = ["ApiError", "WebChatRequest", "parse_request", "render"]

_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_CHOICE = re.compile(r"^[A-Za-z0-9_:.-]{1,32}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TEXT = 4096
MAX_CHOICES = 12


class ApiError(ValueError):
    """A request the API refuses, with a message for the caller."""


@dataclass(frozen=True, slots=True)
class WebChatRequest:
    session: str
    text: str | None = None
    choice_ids: tuple[str, ...] = ()
    start: str | None = None
    is_start: bool = False
    client_id: str | None = None


def parse_request(body: Any) -> WebChatRequest:
    """Check a POSTed body; exactly one of text, choice, choices or start."""
    if not isinstance(body, dict):
        raise ApiError("the body must be a JSON object")
    unknown = set(body) - {"session", "text", "choice", "choices", "start", "id"}
    if unknown:
        raise ApiError(f"unknown field(s): {', '.join(sorted(unknown))}")
    session = body.get("session")
    if not isinstance(session, str) or not _SESSION.match(session):
        raise ApiError("session must be 8-128 characters: letters, digits, '-' or '_'")
    given = [k for k in ("text", "choice", "choices", "start") if k in body]
    if len(given) != 1:
        raise ApiError("send exactly one of: text, choice, choices, start")
    client_id = body.get("id")
    if client_id is not None and (not isinstance(client_id, str) or not _CLIENT_ID.match(client_id)):
        raise ApiError("id must be 1-64 characters: letters, digits, '-' or '_'")
    kind = given[0]
    if kind == "text":
        text = body["text"]
        if not isinstance(text, str) or not text.strip():
            raise ApiError("text must be a non-empty string")
        if len(text) > MAX_TEXT:
            raise ApiError(f"text is longer than {MAX_TEXT} characters")
        return WebChatRequest(session, text=text, client_id=client_id)
    if kind == "choice":
        choice = body["choice"]
        if not isinstance(choice, str) or not _CHOICE.match(choice):
            raise ApiError("choice must be an option id from the last message")
        return WebChatRequest(session, choice_ids=(choice,), client_id=client_id)
    if kind == "choices":
        choices = body["choices"]
        if (
            not isinstance(choices, list)
            or not 1 <= len(choices) <= MAX_CHOICES
            or not all(isinstance(c, str) and _CHOICE.match(c) for c in choices)
        ):
            raise ApiError(f"choices must be a list of 1-{MAX_CHOICES} option ids")
        return WebChatRequest(session, choice_ids=tuple(choices), client_id=client_id)
    start = body["start"]
    if start is not None and (not isinstance(start, str) or len(start) > 64):
        raise ApiError("start must be a code of at most 64 characters, or null")
    return WebChatRequest(session, start=start or None, is_start=True, client_id=client_id)


def render(message: OutboundMessage) -> dict[str, Any]:
    """One bot message as the web page receives it."""
    return {
        "text": message.text,
        "options": [{"id": c.id, "label": c.label} for c in message.choices],
        "expect": str(message.expect),
    }
