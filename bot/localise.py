"""Looking up the bot's own words in the participant's language, Dutch as the fallback."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["localise"]


def localise(texts: Mapping[str, Mapping[str, str]], key: str, lang: str, **values: object) -> str:
    """``texts[key]`` in ``lang`` (Dutch when there is no translation), with ``values`` filled in."""
    entry = texts[key]
    text = entry.get(lang) or entry["nl"]
    return text.format(**values) if values else text
