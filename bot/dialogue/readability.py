"""Reading ease of Dutch texts (Flesch-Douma), to keep dialogues at B1 level.

Plain chat Dutch scores 85 and up, bureaucratic Dutch near 55. We warn below
60 and aim for a median of at least 80 per dialogue.
"""

from __future__ import annotations

import re

from textstat.textstat import textstatistics

__all__ = ["B1_WARN_BELOW", "ReadingEase"]

B1_WARN_BELOW = 60.0
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


class ReadingEase:
    """Flesch-Douma scorer; one instance owns its textstat settings (no global state)."""

    __slots__ = ("_stats",)

    def __init__(self) -> None:
        self._stats = textstatistics()
        self._stats.set_lang("nl")

    def score(self, text: str) -> float:
        """Reading ease, capped to 0-121 like the formula's range on short texts."""
        cleaned = _PLACEHOLDER.sub("het", text).strip()
        if not cleaned:
            return 100.0
        return round(max(0.0, min(121.0, float(self._stats.flesch_reading_ease(cleaned)))), 1)
