"""Insights to officials: weekly digests, the quote review queue and feedback to participants.

Digests read only the insight store (answers, completions, topics and the
tables of this package); they never see the state store, channel addresses or
raw text. Every published number passes :func:`bot.digest.small_cells.suppress`.
"""

from bot.digest.small_cells import K_DEFAULT, hide, rate, suppress

__all__ = ["K_DEFAULT", "hide", "rate", "suppress"]
