"""Against a REAL Rasa 3.6.21 server (fixture ``rasa_server``): parsing, auth, fallback.

The fallback test stops the session's server, so it is the last test in this module.
"""

from __future__ import annotations

import logging

import pytest

from nlu.embedded import EmbeddedNlu
from nlu.fallback import FallbackNlu
from nlu.rasa_http import RasaAuthError, RasaHttpNlu, RasaUnavailable
from tests.nlu.conftest import RasaServer

pytestmark = pytest.mark.rasa

# Not in the training data; clear enough that an LR pipeline must get them.
UNSEEN = [
    ("hallo daar", "greet"),
    ("stop met die berichten", "stop"),
    ("wie kan mijn berichten lezen", "privacy"),
    ("verwijder al mijn gegevens aub", "forget_me"),
    ("thanks so much", "thanks"),
    ("i want to talk to a real person", "talk_to_human"),
    ("delete all my data", "forget_me"),
    ("ik wil iets aankaarten over mijn buurt", "propose_topic"),
]


async def test_unseen_phrasings_through_rasa(rasa_server: RasaServer,
                                             embedded: EmbeddedNlu) -> None:
    async with RasaHttpNlu(rasa_server.url, rasa_server.token, embedded) as rasa:
        status = await rasa.status()
        assert status.get("model_id")
        results = [await rasa.parse(text) for text, _ in UNSEEN]
        themed = await rasa.parse("de bus naar school rijdt bijna nooit")
    got = [r.intent for r in results]
    assert sum(g == want for g, (_, want) in zip(got, UNSEEN, strict=True)) >= len(UNSEEN) - 1, got
    assert all(0.0 < r.confidence <= 1.0 for r in results)
    assert results[0].lang == "nl" and results[4].lang == "en"
    assert "vervoer" in themed.themes


async def test_wrong_token_is_a_clear_auth_error(rasa_server: RasaServer,
                                                 embedded: EmbeddedNlu) -> None:
    async with RasaHttpNlu(rasa_server.url, "wrong-" + rasa_server.token, embedded) as rasa:
        with pytest.raises(RasaAuthError, match="refused the token"):
            await rasa.parse("hoi")


async def test_fallback_switches_to_embedded_when_the_server_stops(
        rasa_server: RasaServer, embedded: EmbeddedNlu, caplog: pytest.LogCaptureFixture) -> None:
    async with RasaHttpNlu(rasa_server.url, rasa_server.token, embedded, timeout=2.0) as rasa:
        nlu = FallbackNlu(rasa, embedded, retry_after=0.0)
        before = await nlu.parse("stop met die berichten")
        assert before.intent == "stop" and nlu.health() == {"nlu": "ok", "backend": "rasa"}

        rasa_server.stop()
        with pytest.raises(RasaUnavailable):
            await rasa.parse("hoi")
        private = "mijn naam is jan jansen, stop met die berichten"
        with caplog.at_level(logging.INFO, logger="nlu"):
            after = await nlu.parse(private)
        assert after.intent == "stop"
        assert after == await embedded.parse(private)
        assert nlu.health() == {"nlu": "degraded: rasa unreachable", "backend": "embedded"}
        assert "jansen" not in caplog.text and "unreachable" in caplog.text
