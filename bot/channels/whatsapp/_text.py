"""Cutting text to WhatsApp's limits without breaking words, emoji or accents.

Meta does not say how it counts characters, so lengths are counted in UTF-16
code units: never fewer than code points, so a text that fits here fits under
either reading. Cuts fall only between grapheme clusters (an approximation of
Unicode UAX #29 that keeps ZWJ emoji sequences, skin tones, flags, keycaps and
combining accents whole), and preferably at a space or sentence end.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["cut", "graphemes", "shorten", "split_text", "width"]

_ZWJ = "\u200d"
_ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"[.!?…][)\"'\u00bb\u201d\u2019]*\s+")


def width(text: str) -> int:
    """Length as Meta may count it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _extends(ch: str) -> bool:
    """True for a character that belongs to the cluster before it."""
    cp = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0xE0100 <= cp <= 0xE01EF
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # tag characters (subdivision flags)
        or cp == 0x20E3  # combining keycap
        or ch == _ZWJ
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def graphemes(text: str) -> list[str]:
    """Split ``text`` into user-perceived characters (approximate UAX #29)."""
    clusters: list[str] = []
    for ch in text:
        if clusters:
            last = clusters[-1]
            joins = (
                _extends(ch)
                or last.endswith(_ZWJ)
                or (_regional(ch) and sum(map(_regional, last)) % 2 == 1 and _regional(last[-1]))
                or (last == "\r" and ch == "\n")
            )
            if joins:
                clusters[-1] = last + ch
                continue
        clusters.append(ch)
    return clusters


def _fitting_prefix(text: str, limit: int) -> str:
    """The longest prefix of whole grapheme clusters within ``limit`` units."""
    used = 0
    end = 0
    for cluster in graphemes(text):
        used += width(cluster)
        if used > limit:
            break
        end += len(cluster)
    return text[:end]


def cut(text: str, limit: int) -> tuple[str, str]:
    """Split ``text`` into a head of at most ``limit`` units and the rest.

    The head ends at a word boundary when the text has one within the limit;
    a single over-long word is cut between grapheme clusters.
    """
    text = text.strip()
    if width(text) <= limit:
        return text, ""
    prefix = _fitting_prefix(text, limit)
    if not text[len(prefix)].isspace():
        space = max((i for i, ch in enumerate(prefix) if ch.isspace()), default=-1)
        if space > 0:
            prefix = prefix[:space]
    head = prefix.rstrip()
    return head, text[len(prefix):].strip()


def shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` units, ending in an ellipsis when it was cut."""
    head, rest = cut(text, limit)
    if not rest:
        return head
    head, _ = cut(text, limit - width(_ELLIPSIS))
    return head.rstrip(" ,;:-") + _ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text into chunks of at most ``limit`` units.

    Breaks at a paragraph, a line, a sentence end or a space, in that order of
    preference, as long as that keeps at least half a chunk; never inside a
    grapheme cluster.
    """
    chunks: list[str] = []
    rest = text.strip()
    while width(rest) > limit:
        prefix = _fitting_prefix(rest, limit)
        end = _break_at(prefix, rest[len(prefix)])
        chunk = rest[:end].rstrip()
        if not chunk:  # a leading cluster wider than the limit cannot happen for real limits
            chunk, end = prefix, len(prefix)
        chunks.append(chunk)
        rest = rest[end:].strip()
    if rest:
        chunks.append(rest)
    return chunks


def _break_at(prefix: str, following: str) -> int:
    """Where to end a chunk of ``prefix``; ``following`` is the next character."""
    half = len(prefix) // 2
    for candidate in (prefix.rfind("\n\n"), prefix.rfind("\n")):
        if candidate >= half:
            return candidate + 1
    window = prefix + following  # a sentence may end exactly at the limit
    sentence_ends = [min(m.end(), len(prefix)) for m in _SENTENCE_END.finditer(window)]
    if sentence_ends and sentence_ends[-1] >= half:
        return sentence_ends[-1]
    if following.isspace():
        return len(prefix)
    space = max((i for i, ch in enumerate(prefix) if ch.isspace()), default=-1)
    return space + 1 if space > 0 else len(prefix)
