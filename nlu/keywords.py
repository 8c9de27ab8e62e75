"""Keyword matching for global commands: exact phrases in Dutch and English.

A safe fallback that never guesses: only whole-message matches of known
phrases count. The trained backends (embedded, Rasa) understand free phrasing.
"""

from __future__ import annotations

import re
import unicodedata

from nlu.types import NluResult

__all__ = ["KeywordNlu", "normalise"]

_PHRASES: dict[str, tuple[str, ...]] = {
    "stop": ("stop", "/stop", "stoppen", "afmelden", "uitschrijven", "unsubscribe", "quit"),
    "help": ("help", "/help", "hulp", "helpen", "menu", "?"),
    "privacy": ("privacy", "/privacy", "wie leest dit", "wat bewaren jullie", "who reads this"),
    "forget_me": (
        "vergeet mij", "vergeet me", "/vergeetmij", "verwijder mijn gegevens",
        "forget me", "delete my data", "delete my stuff",
    ),
    "restart": ("opnieuw", "/opnieuw", "restart", "/restart", "begin opnieuw", "start over"),
    "propose_topic": (
        "ik wil iets aankaarten", "iets aankaarten", "aankaarten", "/onderwerp",
        "onderwerp", "raise a topic", "i want to raise something", "topic",
    ),
    "change_language": ("taal", "/taal", "language", "/language", "andere taal"),
    "talk_to_human": ("mens", "medewerker", "human", "talk to a human"),
    "affirm": ("ja", "jaa", "jup", "yes", "yep", "ok", "oke", "oké", "klopt", "zeker"),
    "deny": ("nee", "neuh", "no", "nope", "liever niet"),
    "greet": ("hoi", "hallo", "hey", "hi", "hello", "goedemorgen", "yo"),
    "goodbye": ("doei", "dag", "bye", "tot ziens", "later"),
    "thanks": ("dank je", "dankjewel", "bedankt", "thanks", "thank you", "thx"),
}


def normalise(text: str) -> str:
    """Lower case, accents kept, punctuation at the ends and extra spaces removed."""
    text = unicodedata.normalize("NFC", text).casefold().strip()
    text = re.sub(r"\s+", " ", text)
    if text not in {"?", "/"}:
        text = text.strip(" !.?,")
    return text


_INDEX: dict[str, str] = {p: intent for intent, phrases in _PHRASES.items() for p in phrases}


class KeywordNlu:
    """Recognises a global command only when the whole message is one of its phrases."""

    __slots__ = ()

    async def parse(self, text: str) -> NluResult:
        intent = _INDEX.get(normalise(text))
        if intent is None:
            return NluResult(intent="out_of_scope", confidence=0.0)
        return NluResult(intent=intent, confidence=1.0)
