"""What an NLU backend returns. The ``nlu`` library imports nothing from ``bot``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["INTENTS", "LANGUAGES", "NluBackend", "NluResult", "THEMES"]

INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "stop",
    "help",
    "privacy",
    "forget_me",
    "change_language",
    "propose_topic",
    "talk_to_human",
    "restart",
    "out_of_scope",
)

THEMES: tuple[str, ...] = (
    "school",
    "jeugdhulp",
    "thuis_en_gezin",
    "geld_en_schulden",
    "werk_en_stage",
    "wonen",
    "gezondheid",
    "mentale_gezondheid",
    "veiligheid_en_pesten",
    "vrije_tijd_en_sport",
    "vervoer",
    "discriminatie",
    "eenzaamheid_en_vrienden",
)

LANGUAGES: tuple[str, ...] = ("nl", "en", "tr", "ar", "pl", "uk")


@dataclass(frozen=True, slots=True)
class NluResult:
    """Intent with confidence (``out_of_scope`` when nothing fits), themes and language."""

    intent: str
    confidence: float
    themes: tuple[str, ...] = ()
    #: One of LANGUAGES or "unknown".
    lang: str = "unknown"


class NluBackend(Protocol):
    """One interface for the embedded and the Rasa backend."""

    async def parse(self, text: str) -> NluResult: ...
