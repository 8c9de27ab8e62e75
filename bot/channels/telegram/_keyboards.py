"""Inline keyboards for choices, and the callback data they carry.

``callback_data`` is at most 64 bytes and never holds answer text, only a
short prefix and the engine's opaque choice id (at most 32 ASCII characters):

- ``c:<id>``  pick one choice
- ``t:<id>`` / ``T:<id>``  a multi-choice toggle, off / on (the state lives in the keyboard)
- ``d``  done with a multi-choice question
- ``p:<n>``  show page ``n`` of a long list
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Choice, ChoiceStyle

__all__ = [
    "DONE",
    "PAGE_SIZE",
    "PageMemory",
    "Pressed",
    "chosen_labels",
    "choice_keyboard",
    "decode",
    "find_label",
    "multi_keyboard",
    "paged_keyboard",
    "toggled",
]

PAGE_SIZE = 8
#: Telegram clients show at most 8 buttons in one row.
ROW_MAX = 8
DONE = "d"
DONE_LABEL = "Klaar ✅"
TICK = "✓ "
PREVIOUS, NEXT = "◀", "▶"


@dataclass(frozen=True, slots=True)
class Pressed:
    """Decoded callback data. ``action``: choice, toggle, done, page or unknown."""

    action: str
    value: str = ""
    on: bool = False


def decode(data: str | None) -> Pressed:
    if data == DONE:
        return Pressed("done")
    prefix, _, value = (data or "").partition(":")
    if not value:
        return Pressed("unknown")
    if prefix == "c":
        return Pressed("choice", value)
    if prefix in ("t", "T"):
        return Pressed("toggle", value, on=prefix == "T")
    if prefix == "p" and value.isdigit():
        return Pressed("page", value)
    return Pressed("unknown")


def choice_keyboard(choices: Sequence[Choice], style: ChoiceStyle) -> InlineKeyboardMarkup:
    """Single choice: a scale fills one row (split evenly past 8), else one per row."""
    buttons = [InlineKeyboardButton(c.label, callback_data=f"c:{c.id}") for c in choices]
    if style is ChoiceStyle.SCALE:
        rows = math.ceil(len(buttons) / ROW_MAX)
        width = math.ceil(len(buttons) / rows)
        return InlineKeyboardMarkup(_chunks(buttons, width))
    return InlineKeyboardMarkup([[b] for b in buttons])


def paged_keyboard(choices: Sequence[Choice], page: int) -> InlineKeyboardMarkup:
    """Page ``page`` of a long list (8 per page) with ◀ ▶ buttons."""
    pages = max(1, math.ceil(len(choices) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = choices[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows = [[InlineKeyboardButton(c.label, callback_data=f"c:{c.id}")] for c in shown]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(PREVIOUS, callback_data=f"p:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(NEXT, callback_data=f"p:{page + 1}"))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def multi_keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup:
    """Toggles (never paged: every toggle must stay visible) and a done button."""
    buttons = [InlineKeyboardButton(c.label, callback_data=f"t:{c.id}") for c in choices]
    rows = [[b] for b in buttons] if len(buttons) <= PAGE_SIZE else _chunks(buttons, 2)
    rows.append([InlineKeyboardButton(DONE_LABEL, callback_data=DONE)])
    return InlineKeyboardMarkup(rows)


def toggled(markup: InlineKeyboardMarkup, choice_id: str) -> InlineKeyboardMarkup | None:
    """The keyboard with one toggle flipped, or None if it has no such toggle."""
    found = False
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            pressed = decode(_data(button))
            if pressed.action == "toggle" and pressed.value == choice_id:
                found = True
                label = _plain(button.text, pressed.on)
                button = (InlineKeyboardButton(label, callback_data=f"t:{choice_id}")
                          if pressed.on else
                          InlineKeyboardButton(TICK + label, callback_data=f"T:{choice_id}"))
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows) if found else None


def chosen_labels(markup: InlineKeyboardMarkup) -> list[tuple[str, str]]:
    """(id, label) of every toggle that is on."""
    chosen = []
    for button in _buttons(markup):
        pressed = decode(_data(button))
        if pressed.action == "toggle" and pressed.on:
            chosen.append((pressed.value, _plain(button.text, True)))
    return chosen


def find_label(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The label of the button carrying ``data``, if the keyboard still has it."""
    if markup is None:
        return None
    return next((b.text for b in _buttons(markup) if _data(b) == data), None)


class PageMemory:
    """The full list behind a paged keyboard, by (chat id, message id).

    Telegram keeps only the page on screen, so the rest must live somewhere.
    This is a bounded in-process memory: after a restart ◀ ▶ on an old list
    stop working (the press is still answered); the shown buttons keep working.
    """

    __slots__ = ("_items", "_size")

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[tuple[int, int], tuple[Choice, ...]] = OrderedDict()
        self._size = size

    def remember(self, chat_id: int, message_id: int, choices: tuple[Choice, ...]) -> None:
        self._items[(chat_id, message_id)] = choices
        self._items.move_to_end((chat_id, message_id))
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def recall(self, chat_id: int, message_id: int) -> tuple[Choice, ...] | None:
        return self._items.get((chat_id, message_id))

    def forget(self, chat_id: int, message_id: int) -> None:
        self._items.pop((chat_id, message_id), None)


def _chunks(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


def _buttons(markup: InlineKeyboardMarkup) -> list[InlineKeyboardButton]:
    return [button for row in markup.inline_keyboard for button in row]


def _data(button: InlineKeyboardButton) -> str | None:
    return button.callback_data if isinstance(button.callback_data, str) else None


def _plain(label: str, on: bool) -> str:
    return label.removeprefix(TICK) if on else label
