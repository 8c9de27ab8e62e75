"""Free phrasing understood in every state, with the embedded NLU, through the web chat."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.service import Chat, running, settings_for


@pytest.fixture
def embedded(tmp_path: Path):  # type: ignore[no-untyped-def]
    return settings_for("embedded", tmp_path, nlu_backend="embedded")


@pytest.mark.parametrize(
    ("typed", "expect"),
    [
        ("wie leest dit eigenlijk", "anoniem"),
        ("mag ik zelf een onderwerp inbrengen", "Schrijf het in één bericht"),
        ("hoe werkt dit ding", "Zo werkt het"),
        ("delete my stuff", "erase everything"),
        ("verwijder al mijn gegevens aub", "wissen"),
        ("kan ik zelf iets aankaarten", "Schrijf het in één bericht"),
        ("ik wil dat jullie alles van mij wissen", "wissen"),
    ],
)
async def test_free_phrasing_in_the_middle_of_a_dialogue(embedded, typed: str, expect: str) -> None:  # type: ignore[no-untyped-def]
    async with running(embedded) as (_, client):
        chat = Chat(client)
        await chat.send(start="velsen--vrije-tijd-buurt")
        await chat.send(choice=chat.option("yes"))
        await chat.send(text=typed)
        assert expect in chat.text


async def test_stop_in_other_words_is_confirmed_before_anything_happens(embedded) -> None:  # type: ignore[no-untyped-def]
    async with running(embedded) as (service, client):
        chat = Chat(client)
        await chat.send(start="velsen")
        await chat.send(text="ik hoef geen berichten meer")
        assert "Wil je stoppen" in chat.text
        await chat.send(choice="no")
        pseudonym = service.runtime._pseudo.pseudonym("webchat", chat.session)  # noqa: SLF001
        participant = await service.insights.participant(pseudonym)
        assert participant is not None and participant.active


async def test_language_switches_mid_conversation_and_back(embedded) -> None:  # type: ignore[no-untyped-def]
    async with running(embedded) as (_, client):
        chat = Chat(client)
        await chat.send(start="velsen--vrije-tijd-buurt")
        assert "Doe je mee" in chat.text or "?" in chat.text
        await chat.send(text="sorry I don't speak dutch, what is this about")
        assert any(w in chat.text for w in ("Choose", "choose", "Do you", "yes or no"))
        await chat.send(text="/taal")
        await chat.send(choice="nl")
        assert "Nederlands" in chat.text


async def test_greeting_opens_the_menu(embedded) -> None:  # type: ignore[no-untyped-def]
    async with running(embedded) as (_, client):
        chat = Chat(client)
        await chat.send(start="velsen")
        await chat.send(text="yo")
        assert "Kies een onderwerp" in chat.text or "Waar wil je over praten" in chat.text
