"""Language of one message taken alone (rules: shared/data/langid_guidelines.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.language import LanguageDetector

DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "data" / "langid_dev.jsonl"


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def test_dev_set_accuracy_without_context(detector: LanguageDetector) -> None:
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 426
    correct = sum(detector.detect(row["text"]) == row["lang"] for row in rows)
    assert correct / len(rows) >= 0.93


@pytest.mark.parametrize(("text", "lang"), [
    ("ff checken of dit werkt", "nl"),
    ("jaaa tuurlijk", "nl"),
    ("neuh", "nl"),
    ("abi dit slaat nergens op", "nl"),
    ("wallah ik snap er niks van", "nl"),
    ("idk mn moeder wil dat niet", "nl"),
    ("brb", "en"),
    ("ngl this is kinda nice", "en"),
    ("i got a brief from the gemeente", "en"),
    ("evet", "tr"),
    ("tamam tesekkurler", "tr"),
    ("okulu sevmiyorum", "tr"),
    ("tak", "pl"),
    ("nie mam czasu", "pl"),
    ("так", "uk"),
    ("ні", "uk"),
    ("дякую за допомогу", "uk"),
    ("pryvit ya tut novyi", "uk"),
    ("مرحبا كيفك", "ar"),
    ("wallah ma fhemt walo", "ar"),
    ("stop alsjeblieft", "nl"),
    ("please stop", "en"),
])
def test_short_chat_messages(detector: LanguageDetector, text: str, lang: str) -> None:
    assert detector.detect(text) == lang


@pytest.mark.parametrize("text", [
    "", "   ", "👍👍", "😂", "12", "?!", "haha", "hahahahaha", "lol", "xD", "ok", "okeee", "hey",
    "yo", "bro", "wow", "hmmm", "wallah", "inshallah",
    "ich weiß es nicht", "no tengo tiempo", "я не знаю что делать", "спасибо",
    # Written the same in Dutch and English: alone, a command word says nothing of the language.
    "stop", "Stop!", "help", "privacy?", "start",
])
def test_no_language_or_a_language_outside_the_six_is_unknown(detector: LanguageDetector,
                                                               text: str) -> None:
    assert detector.detect(text) == "unknown"


@pytest.mark.parametrize("engine", ["lingua", "langdetect"])
def test_each_engine_is_deterministic(engine: str) -> None:
    texts = ["dit is een zin", "gemeente", "kanka", "spoko", "dobre"] * 3
    first = LanguageDetector(engine)  # type: ignore[arg-type]
    second = LanguageDetector(engine)  # type: ignore[arg-type]
    assert [first.detect(t) for t in texts] == [second.detect(t) for t in texts]
    assert [first.detect(t) for t in texts] == [first.detect(t) for t in texts]
