"""Reading what a participant typed: exact command words first, then the trained NLU.

Exact phrases ("stop", "vergeet mij", "/privacy") always mean their command, so
the safety-relevant commands never depend on a model; everything else goes to
the configured backend (embedded or Rasa), which also gives language and themes.
"""

from __future__ import annotations

from dataclasses import replace

from nlu.keywords import KeywordNlu
from nlu.types import NluBackend, NluResult

__all__ = ["Understanding"]


class Understanding:
    __slots__ = ("_keywords", "_model")

    def __init__(self, model: NluBackend | None) -> None:
        self._keywords = KeywordNlu()
        self._model = model

    async def parse(self, text: str) -> NluResult:
        exact = await self._keywords.parse(text)
        if self._model is None or not any(ch.isalpha() for ch in text):
            # Without a single letter (a number, a phone number, emoji) there is nothing
            # for a model to read: no intent but the exact words, no language.
            return exact
        result = await self._model.parse(text)
        if exact.intent != "out_of_scope":
            return replace(result, intent=exact.intent, confidence=1.0)
        return result
