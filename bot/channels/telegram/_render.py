"""An abstract OutboundMessage as Telegram messages: text chunks and a keyboard."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.channels.telegram._keyboards import (
    PAGE_SIZE,
    choice_keyboard,
    multi_keyboard,
    paged_keyboard,
)
from bot.messages import Choice, ChoiceStyle, Expect, OutboundMessage

__all__ = ["MAX_TEXT", "Rendered", "render", "split_text"]

MAX_TEXT = 4096
#: A sentence with the space after it; a blank line also ends one.
_SENTENCE = re.compile(r".*?(?:[.!?…]+(?=\s)|(?=\n\n)|$)\s*", re.S)


@dataclass(frozen=True, slots=True)
class Rendered:
    """Messages to send in order; the keyboard goes on the last one."""

    chunks: tuple[str, ...]
    markup: InlineKeyboardMarkup | None = None
    #: Set when the keyboard is paged: the whole list, to page through later.
    paged: tuple[Choice, ...] = ()


def render(message: OutboundMessage) -> Rendered:
    chunks = tuple(split_text(message.text))
    if not message.choices:
        return Rendered(chunks)
    if message.expect is Expect.MULTI_CHOICE:
        return Rendered(chunks, multi_keyboard(message.choices))
    if message.style is ChoiceStyle.BUTTONS and len(message.choices) > PAGE_SIZE:
        return Rendered(chunks, paged_keyboard(message.choices, 0), message.choices)
    return Rendered(chunks, choice_keyboard(message.choices, message.style))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split over several messages at sentence ends (then spaces, then anywhere).

    Each piece keeps its own whitespace, so paragraphs survive the split.
    """
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in (m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)):
        for part in _fit(sentence, limit):
            if len((current + part).rstrip()) <= limit:
                current += part
                continue
            if current.strip():
                chunks.append(current.rstrip())
            current = part.lstrip()
    if current.strip():
        chunks.append(current.rstrip())
    return chunks


def _fit(sentence: str, limit: int) -> list[str]:
    """A sentence longer than ``limit`` is cut at spaces, or hard if it has none."""
    if len(sentence.rstrip()) <= limit:
        return [sentence]
    parts: list[str] = []
    for word in (m.group(0) for m in re.finditer(r"\S+\s*", sentence)):
        while len(word.rstrip()) > limit:
            parts.append(word[:limit])
            word = word[limit:]
        parts.append(word)
    return parts
