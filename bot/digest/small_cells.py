"""The small-cell rule: no published number may describe fewer than ``k`` people.

Every figure a report shows goes through :func:`suppress`, the one place the
rule lives (digests, CSV exports, the dashboard and the anonymisation issue's
exports all call it). Two steps, as statistics offices do it:

1. *Primary suppression*: a cell with 1 to k-1 is hidden. Zero stays visible:
   "nobody chose this" describes no one.
2. *Complementary suppression*: when a total is published, the hidden cells add
   up to ``total - sum(visible)``. If that sum is itself 1 to k-1, a reader could
   still learn a small group's size (and with one hidden cell, its exact value),
   so the smallest visible non-zero cells are hidden too until the hidden part
   is 0 or at least k. A total under k hides everything, the total included.

A hidden cell is ``None``; renderers print "fewer than k", never the value.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

__all__ = ["K_DEFAULT", "hide", "rate", "suppress"]

K_DEFAULT = 5

Key = TypeVar("Key", bound=Hashable)


def suppress(
    counts: Mapping[Key, int], *, k: int = K_DEFAULT, total: int | None = None
) -> dict[Key, int | None]:
    """The cells of ``counts`` that may be shown; hidden ones are ``None``.

    Args:
        counts: people per cell (each person at most once per cell).
        k: the smallest group that may be shown (at least 2).
        total: the published total the cells belong to, if any; the caller
            publishes it only when it is at least ``k`` (see :func:`hide`).
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    if total is not None and 0 < total < k:
        return {key: None for key in counts}
    shown: dict[Key, int | None] = {key: (None if 0 < n < k else n) for key, n in counts.items()}
    if total is None:
        return shown
    while True:
        hidden_sum = total - sum(n for n in shown.values() if n is not None)
        if hidden_sum <= 0 or hidden_sum >= k:
            # hidden_sum < 0 happens for overlapping cells (multiple choice): nothing to derive.
            return shown
        candidates = [(n, i) for i, (key, n) in enumerate(shown.items()) if n]
        if not candidates:
            return shown
        _, index = min(candidates)
        key = list(shown)[index]
        shown[key] = None


def hide(value: int, *, k: int = K_DEFAULT) -> int | None:
    """One stand-alone count (a headline figure, a week in a trend)."""
    return suppress({0: value}, k=k)[0]


def rate(part: int, whole: int, *, k: int = K_DEFAULT) -> float | None:
    """``part / whole`` when neither ``part`` nor ``whole - part`` is a small group.

    A rate and its base give back both groups (``rate * whole``), so both must
    pass the rule, not just the base.
    """
    if whole <= 0:
        return None
    cells = suppress({"part": part, "rest": whole - part}, k=k, total=whole)
    if cells["part"] is None or cells["rest"] is None:
        return None
    return part / whole
