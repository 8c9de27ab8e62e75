"""Dialogues as versioned data: model, loader, checks and the pure engine."""

from bot.dialogue.catalog import Catalog
from bot.dialogue.loader import LoadResult, load_dialogue, parse_dialogue
from bot.dialogue.model import Dialogue, Option, Step, StepType, Text

__all__ = [
    "Catalog",
    "Dialogue",
    "LoadResult",
    "Option",
    "Step",
    "StepType",
    "Text",
    "load_dialogue",
    "parse_dialogue",
]
