"""The :class:`Anonymiser`: runs every detector and resolves overlaps."""

from __future__ import annotations

import re

from moderation.anonymise import _locations, _patterns, _people
from moderation.anonymise._lexicon import Lexicon, load_lexicon
from moderation.anonymise._tokens import FILLER, tokenize
from moderation.types import PLACEHOLDERS, Redaction, Span

__all__ = ["Anonymiser", "apply_spans"]

#: Placeholders already in a text are skipped, so anonymising twice changes nothing more.
_PLACEHOLDER_TEXTS = tuple(PLACEHOLDERS.values())
_DIGIT = re.compile(r"\d")


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


def _placeholder_ranges(text: str) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    if "[" not in text:  # every placeholder starts with one; most messages have none
        return ranges
    for ph in _PLACEHOLDER_TEXTS:
        start = text.find(ph)
        while start >= 0:
            ranges.append((start, start + len(ph)))
            start = text.find(ph, start + 1)
    return ranges


def _resolve(
    text: str, tiers: list[list[Span]], blocked: list[tuple[int, int]]
) -> tuple[Span, ...]:
    """Keep spans tier by tier (earlier tiers win), longest first within a tier; no overlaps.

    A span that runs into one already kept is cut back to its part before it ("sanne" of a
    name that swallowed the start of an e-mail address), so detection never depends on order.
    """
    taken: list[tuple[int, int]] = list(blocked)
    kept: list[Span] = []
    for tier in tiers:
        for span in sorted(set(tier), key=lambda s: (-(s.end - s.start), s.start)):
            start, end = span.start, span.end
            for s, e in taken:
                if start < e and s < end:
                    end = max(start, s)
            while end > start and text[end - 1].isspace():
                end -= 1
            if end <= start or any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            kept.append(Span(start, end, span.type))
    return tuple(sorted(kept))


class Anonymiser:
    """Dutch-first detector of personal data. Build once (loads the lists); thread-safe after."""

    __slots__ = ("_lex",)

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self._lex = lexicon if lexicon is not None else load_lexicon()

    def find(self, text: str) -> tuple[Span, ...]:
        """Spans of personal data in ``text``, sorted and non-overlapping."""
        lex = self._lex
        blocked = _placeholder_ranges(text)
        # Placeholders become neutral filler of the same length: offsets stay, cues do not cross them.
        for start, end in blocked:
            text = text[:start] + FILLER * (end - start) + text[end:]
        tokens = tokenize(text)
        patterns = _patterns.find_patterns(text, tokens)
        structured = [
            *_locations.addresses(text, tokens, lex),
            *_locations.institutions(text, tokens, lex),
        ]
        persons = [*_people.people(text, tokens, lex), *_people.initials(text, lex)]
        located = list(_locations.places(text, tokens, lex))
        ages = list(_people.ages(text, persons)) if _DIGIT.search(text) else []
        return _resolve(text, [patterns, structured, ages, persons, located], blocked)

    def anonymise(self, text: str) -> Redaction:
        """The text with every span replaced by its placeholder, and the spans."""
        spans = self.find(text)
        return Redaction(text=apply_spans(text, spans), spans=spans)
