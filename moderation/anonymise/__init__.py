"""Dutch-first anonymiser: personal data in chat text replaced by typed placeholders."""

from moderation.anonymise._anonymiser import Anonymiser, apply_spans

__all__ = ["Anonymiser", "apply_spans"]
