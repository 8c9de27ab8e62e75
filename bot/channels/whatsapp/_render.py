"""OutboundMessage → WhatsApp message bodies, within Meta's documented limits.

- up to 3 choices → reply buttons (title ≤ 20, body ≤ 1024);
- 4-10 choices, or a scale → a list message (row title ≤ 24, description ≤ 72);
- more than 10 choices, or a multiple choice → numbered text; the runtime
  accepts the number(s) as the answer;
- a body over the limit is split on sentence boundaries into several messages,
  the choices going with the last one.

Each body returned lacks ``messaging_product`` and the recipient, which the
client adds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.messages import Choice, ChoiceStyle, Expect, OutboundMessage

from ._text import cut, shorten, split_text, width

__all__ = ["CHOICE_PREFIX", "RenderOptions", "render", "render_template", "strip_choice_id"]

JSONObject = dict[str, Any]

#: Marks ids this adapter put on buttons and rows, so a reply carries ours only.
CHOICE_PREFIX = "pm:"

TEXT_LIMIT = 4096
BUTTON_BODY_LIMIT = 1024
LIST_BODY_LIMIT = 4096
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
MAX_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """The few texts the adapter adds itself (B1 Dutch by default)."""

    list_button: str = "Kies"
    number_hint: str = "Stuur het nummer van je antwoord."
    multi_hint: str = "Stuur de nummers van je antwoorden, bijvoorbeeld: 1, 3"


def strip_choice_id(raw: str) -> str:
    """The engine's choice id from a button/row id or template payload."""
    return raw.removeprefix(CHOICE_PREFIX)


def render(message: OutboundMessage, options: RenderOptions) -> list[JSONObject]:
    """All message bodies for one outbound message, in sending order."""
    choices = message.choices
    if not choices:
        return _texts(message.text)
    if message.expect is Expect.MULTI_CHOICE:
        return _numbered(message.text, choices, options.multi_hint)
    if len(choices) <= MAX_BUTTONS and message.style is ChoiceStyle.BUTTONS:
        buttons = _buttons(choices)
        if buttons is not None:
            return _with_body(
                message.text, BUTTON_BODY_LIMIT, lambda body: _button_message(body, buttons)
            )
    if len(choices) <= MAX_ROWS:
        rows = [_row(choice) for choice in choices]
        return _with_body(
            message.text, LIST_BODY_LIMIT, lambda body: _list_message(body, rows, options)
        )
    return _numbered(message.text, choices, options.number_hint)


def render_template(name: str, language: str, params: tuple[str, ...]) -> JSONObject:
    """A template message with positional body parameters."""
    template: JSONObject = {"name": name, "language": {"code": language}}
    if params:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {"type": "template", "template": template}


def _texts(text: str) -> list[JSONObject]:
    return [
        {"type": "text", "text": {"body": chunk, "preview_url": False}}
        for chunk in split_text(text, TEXT_LIMIT)
    ]


def _with_body(
    text: str, limit: int, build: Callable[[str], JSONObject]
) -> list[JSONObject]:
    chunks = split_text(text, limit)
    return [
        *({"type": "text", "text": {"body": c, "preview_url": False}} for c in chunks[:-1]),
        build(chunks[-1]),
    ]


def _buttons(choices: tuple[Choice, ...]) -> list[JSONObject] | None:
    titles = [shorten(c.label, BUTTON_TITLE_LIMIT) for c in choices]
    if len({t.casefold() for t in titles}) != len(titles):
        return None  # Meta requires unique titles; a list keeps more of each label
    return [
        {"type": "reply", "reply": {"id": CHOICE_PREFIX + c.id, "title": title}}
        for c, title in zip(choices, titles, strict=True)
    ]


def _button_message(body: str, buttons: list[JSONObject]) -> JSONObject:
    return {
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
    }


def _row(choice: Choice) -> JSONObject:
    title, rest = cut(choice.label, ROW_TITLE_LIMIT)
    row: JSONObject = {"id": CHOICE_PREFIX + choice.id, "title": title}
    if rest:
        row["description"] = shorten(rest, ROW_DESCRIPTION_LIMIT)
    return row


def _list_message(body: str, rows: list[JSONObject], options: RenderOptions) -> JSONObject:
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": shorten(options.list_button, BUTTON_TITLE_LIMIT),
                "sections": [{"rows": rows}],
            },
        },
    }


def _numbered(text: str, choices: tuple[Choice, ...], hint: str) -> list[JSONObject]:
    lines = "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, start=1))
    full = f"{text}\n\n{lines}"
    if hint and width(hint) < TEXT_LIMIT:
        full = f"{full}\n\n{hint}"
    return _texts(full)
