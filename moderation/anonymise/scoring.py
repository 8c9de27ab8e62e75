"""The held-out scoring rules of the labelling guide, shared by the dev-set test and the bench.

leak rate: share of gold personal-data characters (whitespace excluded) that no predicted span
covers; precision: share of predicted characters that are gold; recall per type: a gold span is
caught when at least 90% of its characters are covered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from moderation.types import Span

__all__ = ["Score", "score"]

_CAUGHT = 0.9


@dataclass(frozen=True, slots=True)
class Score:
    leak_rate: float
    precision: float
    recall: dict[str, float] = field(default_factory=dict)
    gold_spans: dict[str, int] = field(default_factory=dict)


def score(examples: Iterable[tuple[str, Iterable[Span], Iterable[Span]]]) -> Score:
    """Score ``(text, gold spans, predicted spans)`` triples."""
    gold_chars = leaked = predicted = correct = 0
    caught: dict[str, int] = {}
    total: dict[str, int] = {}
    for text, gold, pred in examples:
        gold = list(gold)
        covered = {i for s in pred for i in range(s.start, s.end)}
        gold_set = {i for s in gold for i in range(s.start, s.end)}
        for span in gold:
            chars = [i for i in range(span.start, span.end) if not text[i].isspace()]
            gold_chars += len(chars)
            leaked += sum(1 for i in chars if i not in covered)
            hit = sum(1 for i in range(span.start, span.end) if i in covered)
            total[span.type] = total.get(span.type, 0) + 1
            if hit >= _CAUGHT * (span.end - span.start):
                caught[span.type] = caught.get(span.type, 0) + 1
        for span in pred:
            predicted += span.end - span.start
            correct += sum(1 for i in range(span.start, span.end) if i in gold_set)
    return Score(
        leak_rate=leaked / gold_chars if gold_chars else 0.0,
        precision=correct / predicted if predicted else 1.0,
        recall={t: caught.get(t, 0) / n for t, n in sorted(total.items())},
        gold_spans=dict(sorted(total.items())),
    )
