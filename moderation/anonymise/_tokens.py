"""Word tokens with offsets: the unit the list- and cue-based detectors work on."""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["FILLER", "Token", "tokenize"]

#: What a placeholder already in the text ("[IBAN]") is blanked to before detection: the
#: word joiner, neither a word character nor whitespace to regexes. No cue reaches across it.
FILLER = "\u2060"

# Letters (any script) with inner apostrophes/hyphens ("nieuw-west", "al-hassan"), or a number.
# An apostrophe joins only short clitics ("m'n", "z'n"); "zaandam'da" splits so the place stands alone.
_TOKEN = re.compile(r"(?:[^\W\d_]{1,2}['’](?=[^\W\d_]))?[^\W\d_]+(?:-[^\W\d_]+)*|\d+")


class Token(NamedTuple):
    """One word or number of the message; ``low`` is its lower-case form.

    A NamedTuple, not a dataclass: a message has dozens and this is the hot path.
    """

    start: int
    end: int
    text: str
    low: str
    is_number: bool


def tokenize(text: str) -> list[Token]:
    """Tokens in order; punctuation, emoji and spaces are skipped (their offsets stay correct)."""
    return [
        Token(*m.span(), word, word.lower(), word.isdigit())
        for m in _TOKEN.finditer(text)
        if (word := m.group())
    ]
