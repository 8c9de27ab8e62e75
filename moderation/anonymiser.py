"""Anonymiser: finds personal data in chat text and replaces it with typed placeholders.

This first version covers the unambiguous, pattern-shaped types (phone numbers,
e-mail addresses, postcodes). The full Dutch-first anonymiser extends
:class:`Anonymiser` behind the same ``anonymise`` call.
"""

from __future__ import annotations

import re

from moderation.types import PLACEHOLDERS, Redaction, Span

__all__ = ["Anonymiser", "apply_spans"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Dutch phone numbers as people type them: 06-12345678, 06 1234 5678, +31 6 12345678,
# 0031612345678, 020-1234567. Service numbers (112, 0800-, 0900-) do not match.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)31[\s.-]?(?:\(0\))?[\s.-]?|0)(?!800|900)[1-9](?:[\s.-]?\d){8}(?!\d)"
)
_POSTCODE = re.compile(r"(?<!\w)[1-9]\d{3}\s?(?!sa|sd|ss)[a-zA-Z]{2}(?!\w)", re.IGNORECASE)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", _EMAIL),
    ("PHONE", _PHONE),
    ("POSTCODE", _POSTCODE),
)


def apply_spans(text: str, spans: tuple[Span, ...]) -> str:
    """Replace each span of ``text`` by its placeholder; spans must not overlap."""
    out: list[str] = []
    pos = 0
    for span in sorted(spans):
        out.append(text[pos : span.start])
        out.append(PLACEHOLDERS[span.type])
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Drop spans that overlap an earlier, longer one."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return tuple(kept)


class Anonymiser:
    """Stateless and thread-safe; build once, call ``anonymise`` per message."""

    __slots__ = ()

    def find(self, text: str) -> tuple[Span, ...]:
        """Spans of personal data in ``text``, sorted and non-overlapping."""
        found = [
            Span(m.start(), m.end(), kind) for kind, rx in _PATTERNS for m in rx.finditer(text)
        ]
        return _merge(found)

    def anonymise(self, text: str) -> Redaction:
        """The text with every span replaced by its placeholder, and the spans."""
        spans = self.find(text)
        return Redaction(text=apply_spans(text, spans), spans=spans)
