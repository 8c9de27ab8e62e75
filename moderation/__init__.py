"""Moderation: anonymisation, pseudonyms, safety signals. Imports nothing from ``bot``."""

from moderation.anonymiser import Anonymiser, apply_spans
from moderation.types import PLACEHOLDERS, CrisisKind, Redaction, ScreenResult, Span

__all__ = [
    "PLACEHOLDERS",
    "Anonymiser",
    "CrisisKind",
    "Redaction",
    "ScreenResult",
    "Span",
    "apply_spans",
]
