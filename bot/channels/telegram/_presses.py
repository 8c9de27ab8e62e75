"""What a button press does, worked out from the pressed message's own keyboard.

The keyboard is the only state: a choice is accepted only while its button is
still on screen, and the keyboard is then replaced by "✔ <label>", so an old
button cannot answer twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, InlineKeyboardMarkup, Message

from bot.channels.telegram._keyboards import (
    DONE,
    PageMemory,
    chosen_labels,
    decode,
    find_label,
    paged_keyboard,
    toggled,
)
from bot.channels.telegram._render import MAX_TEXT
from bot.channels.telegram._texts import PICK_FIRST, STALE_BUTTON, STALE_PAGES

__all__ = ["PressOutcome", "resolve"]


@dataclass(frozen=True, slots=True)
class PressOutcome:
    """``choice_ids`` set: hand a CHOICE to the runtime, then close the keyboard."""

    answer_text: str | None = None
    choice_ids: tuple[str, ...] = ()
    #: Replace the text (which drops the keyboard) after a final answer.
    closed_text: str | None = None
    #: Only swap the keyboard (toggle, page) — or drop it when ``close`` is set.
    markup: InlineKeyboardMarkup | None = None
    close: bool = False


def resolve(query: CallbackQuery, pages: PageMemory) -> PressOutcome:
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return PressOutcome(STALE_BUTTON)
    data = query.data if isinstance(query.data, str) else None
    label = find_label(message.reply_markup, data) if data else None
    if label is None:
        return PressOutcome(STALE_BUTTON)
    pressed = decode(data)
    if pressed.action == "choice":
        return _closing(message, (pressed.value,), label)
    if pressed.action == "toggle":
        return PressOutcome(markup=toggled(message.reply_markup, pressed.value))
    if pressed.action == "done" and data == DONE:
        chosen = chosen_labels(message.reply_markup)
        if not chosen:
            return PressOutcome(PICK_FIRST)
        labels = ", ".join(label for _, label in chosen)
        return _closing(message, tuple(choice_id for choice_id, _ in chosen), labels)
    if pressed.action == "page":
        choices = pages.recall(message.chat.id, message.message_id)
        if choices is None:
            return PressOutcome(STALE_PAGES)
        return PressOutcome(markup=paged_keyboard(choices, int(pressed.value)))
    return PressOutcome(STALE_BUTTON)


def _closing(message: Message, choice_ids: tuple[str, ...], label: str) -> PressOutcome:
    text = f"{message.text}\n\n✔ {label}" if message.text else f"✔ {label}"
    if len(text) > MAX_TEXT:
        return PressOutcome(choice_ids=choice_ids, close=True)
    return PressOutcome(choice_ids=choice_ids, closed_text=text)
