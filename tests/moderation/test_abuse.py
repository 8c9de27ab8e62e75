"""Abuse: insults at the bot or others count; low-mood swearing, reports and the disease do not."""

from __future__ import annotations

import pytest

from moderation.abuse import AbuseDetector
from moderation.safety_texts import ABUSE_REPLY, PAUSE_NOTICE, crisis_reply
from moderation.screen import Screener
from moderation.types import CrisisKind

ABUSIVE = [
    "kut bot",
    "kutbot",
    "kanker bot",
    "kanker op met je vragen",
    "wat een kanker vragen",
    "tering",
    "kk saai dit",
    "jij bent echt een mongool",
    "mongool",
    "vieze hoer",
    "je bent een idioot",
    "hou je bek",
    "rot op",
    "krijg de tyfus",
    "ga dood bot",
    "je moeder is een hoer",
    "fuck you",
    "fuck off bot",
    "stupid bot",
    "you are useless",
    "stfu",
    "kys",
    "kys bot",
    "what a loser",
]

NOT_ABUSIVE = [
    "ik voel me kut",
    "kut dag vandaag",
    "shit ik ben mn sleutels kwijt",
    "fuck ik ben te laat",
    "mn moeder heeft kanker",
    "mijn opa is overleden aan kanker",
    "borstkanker is een rotziekte",
    "ik heb nieuwe kleren gekocht",
    "ik ben homo",
    "ze noemen me een hoer op school",
    "die gast in de klas zegt steeds kys tegen iedereen",
    "ik word uitgescholden voor mongool",
    "deze vragenlijst is saai",
    "this survey is stupid",
    "ik ga dood van het lachen",
    "ik haat mezelf",
    "ik ben zo dom",
]


@pytest.fixture(scope="module")
def detector() -> AbuseDetector:
    return AbuseDetector()


@pytest.mark.parametrize("text", ABUSIVE)
def test_insults_and_curses_are_abuse(detector: AbuseDetector, text: str) -> None:
    assert detector.is_abusive(text)


@pytest.mark.parametrize("text", NOT_ABUSIVE)
def test_mood_swearing_reports_and_illness_are_not_abuse(
    detector: AbuseDetector, text: str
) -> None:
    assert not detector.is_abusive(text)


def test_abuse_and_crisis_are_independent() -> None:
    result = Screener().screen("kanker bot ik wil dood")
    assert result.abuse and result.kind is CrisisKind.SUICIDE


@pytest.mark.parametrize("language", ["nl", "en"])
def test_crisis_reply_names_the_helplines(language: str) -> None:
    text = crisis_reply(language, CrisisKind.SUICIDE)
    for needed in ("113", "0800-0113", "113.nl", "0800-0432", "112"):
        assert needed in text
    assert "0800-2000" not in text
    assert "0800-2000" in crisis_reply(language, CrisisKind.ABUSE_AT_HOME)


def test_texts_fall_back_to_dutch_and_pause_notice_takes_minutes() -> None:
    assert ABUSE_REPLY.in_language("tr") == ABUSE_REPLY.nl
    assert ABUSE_REPLY.in_language("en-GB") == ABUSE_REPLY.en
    assert "30 minuten" in PAUSE_NOTICE.in_language("nl").format(minutes=30)
