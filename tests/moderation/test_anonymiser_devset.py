"""Quality on the labelled development set (``shared/data/anon_dev.jsonl``, present in CI too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation import Anonymiser, Span
from moderation.anonymise.scoring import Score, score

DEV_SET = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "anon_dev.jsonl"


@pytest.fixture(scope="module")
def dev_score() -> Score:
    anon = Anonymiser()
    examples = []
    for line in DEV_SET.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold = [Span(s["start"], s["end"], s["type"]) for s in row["spans"]]
        examples.append((row["text"], gold, anon.find(row["text"])))
    assert len(examples) > 400
    return score(examples)


def test_leak_rate_is_at_most_two_percent(dev_score: Score) -> None:
    assert dev_score.leak_rate <= 0.02


def test_precision_is_at_least_085(dev_score: Score) -> None:
    assert dev_score.precision >= 0.85


def test_every_type_is_mostly_caught(dev_score: Score) -> None:
    assert len(dev_score.recall) == 15
    assert {t: r for t, r in dev_score.recall.items() if r < 0.8} == {}
