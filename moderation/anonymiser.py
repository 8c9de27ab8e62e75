"""Compatibility entry point: the anonymiser lives in :mod:`moderation.anonymise`."""

from moderation.anonymise import Anonymiser, apply_spans

__all__ = ["Anonymiser", "apply_spans"]
