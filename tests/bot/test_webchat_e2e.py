"""A participant's whole path through the web chat API, on embedded defaults and on Redis + PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DIALOGUES
from bot.dialogue.catalog import Catalog
from bot.errors import DialogueError
from bot.stores.sql.tables import answers, completions, topics
from tests.support.service import Chat, running, settings_for
from tests.support.tables import all_rows, rows
from tests.support.walk import assert_stored, walk

BACKENDS = ["embedded", "redis-pg"]
CATALOG = Catalog.load([DEFAULT_DIALOGUES])
PHONE, EMAIL = "06-12345678", "jayden.bakker@gmail.com"
OPEN = f"bel me op {PHONE} of mail {EMAIL} want de bus rijdt niet"


async def _rows(service, table):  # type: ignore[no-untyped-def]
    return await rows(service.db, table)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dialogue_id", sorted(CATALOG.dialogues))
async def test_each_shipped_dialogue_completes_and_is_stored(
    backend: str, dialogue_id: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    dialogue = CATALOG.dialogues[dialogue_id]
    async with running(settings_for(backend, tmp_path, request)) as (service, client):
        chat = Chat(client)
        await chat.send(start=f"velsen--{dialogue_id}")
        result = await walk(chat, dialogue, OPEN)
        assert result.completed
        assert "Waar wil je over praten" in chat.text or "alle gesprekken" in chat.text

        rows = await _rows(service, answers)
        assert_stored(rows, result.answers, dialogue_id, municipality="velsen",
                      planted=(PHONE, EMAIL), kept="de bus rijdt niet")
        assert {r["domain"] for r in rows} == {dialogue.domain}
        assert [r["dialogue_id"] for r in await _rows(service, completions)] == [dialogue_id]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_restart_halfway_continues_at_the_same_step(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    dialogue = CATALOG.dialogues["vrije-tijd-buurt"]
    settings = settings_for(backend, tmp_path, request)
    async with running(settings) as (_, client):
        chat = Chat(client)
        await chat.send(start=f"heemskerk--{dialogue.id}")
        await walk(chat, dialogue, "meer bankjes", stop_after=2)
        waiting_for = chat.last[-1]["text"]
        session = chat.session
    async with running(settings) as (service, client):
        chat = Chat(client, session)
        await chat.send(start=None)
        assert "Welkom terug" in chat.text
        assert chat.last[-1]["text"].endswith(waiting_for)
        result = await walk(chat, dialogue, "meer bankjes")
        assert result.completed
        assert len(await _rows(service, answers)) == 2 + len(result.answers)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_same_message_id_twice_stores_once_and_replies_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with running(settings_for(backend, tmp_path, request)) as (service, client):
        chat = Chat(client)
        await chat.send(start="velsen--vrije-tijd-buurt")
        await chat.send(choice=chat.option("yes"))
        choice = chat.last[-1]["options"][0]["id"]
        first = await chat.send(choice=choice, id="same-id")
        second = await chat.send(choice=choice, id="same-id")
        assert first and second == []
        assert len(await _rows(service, answers)) == 1


async def _linked_anywhere(service, pseudonym: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for name, table_rows in (await all_rows(service.db)).items():
        for row in table_rows:
            if any(pseudonym in str(v) for v in row):
                found.append(name)
    for key in await service.state.keys(""):
        value = await service.state.get(key)
        if pseudonym in key or (value and pseudonym in value):
            found.append("state:" + key)
    return found


@pytest.mark.parametrize("backend", BACKENDS)
async def test_forget_me_leaves_nothing_linked(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with running(settings_for(backend, tmp_path, request)) as (service, client):
        other = Chat(client)
        await other.send(start="velsen--rondkomen")
        await walk(other, CATALOG.dialogues["rondkomen"], "niks", stop_after=2)
        chat = Chat(client)
        await chat.send(start="beverwijk--vrije-tijd-buurt")
        await walk(chat, CATALOG.dialogues["vrije-tijd-buurt"], OPEN)
        await chat.send(text="ik wil iets aankaarten")
        await chat.send(text="meer licht in het park bij de kerkstraat")
        pseudonym = service.runtime._pseudo.pseudonym("webchat", chat.session)  # noqa: SLF001
        assert await _linked_anywhere(service, pseudonym)
        await chat.send(text="vergeet mij")
        assert "wissen" in chat.text
        await chat.send(choice=chat.option("yes"))
        assert "gewist" in chat.text
        assert await _linked_anywhere(service, pseudonym) == []
        others = await _rows(service, answers)
        assert others and all(r["municipality"] == "velsen" for r in others)
        assert await _rows(service, topics) == []


async def test_raised_topic_is_stored_anonymised(tmp_path: Path) -> None:
    async with running(settings_for("embedded", tmp_path)) as (service, client):
        chat = Chat(client)
        await chat.send(start="velsen")
        await chat.send(choice="_topic")
        await chat.send(text="de straatlantaarns in mijn straat zijn kapot, bel 0612345678")
        assert "Dank je" in chat.text
        (row,) = await _rows(service, topics)
        assert row["municipality"] == "velsen" and "0612345678" not in row["text"]


async def test_invalid_dialogue_stops_startup_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "dialogues"
    folder.mkdir()
    source = (DEFAULT_DIALOGUES / "rondkomen.yml").read_text()
    broken = source.replace("type: yes_no", "type: ja_nee", 1)
    assert broken != source
    (folder / "rondkomen.yml").write_text(broken)
    line = broken.splitlines().index(next(l for l in broken.splitlines() if "ja_nee" in l)) + 1
    settings = settings_for("embedded", tmp_path / "var", dialogues=folder)
    with pytest.raises(DialogueError) as err:
        async with running(settings):
            pass
    assert f"rondkomen.yml:{line}" in str(err.value)


async def test_healthz_reports_every_store_and_channel(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    async with running(settings_for("redis-pg", tmp_path, request)) as (_, client):
        resp = await client.get("/healthz")
        body = await resp.json()
        assert resp.status == 200
        assert body["stores"] == {"state": "ok (redis)", "database": "ok (postgresql)"}
        assert body["channels"]["webchat"]["status"] == "ok"


@pytest.mark.parametrize(
    "body",
    [
        {"session": "short", "text": "hoi"},
        {"session": "abcdefgh1234", "text": ""},
        {"session": "abcdefgh1234", "text": "x" * 5000},
        {"session": "abcdefgh1234", "text": "a", "choice": "b"},
        {"session": "abcdefgh1234", "choice": "bad choice!"},
        {"session": "abcdefgh1234", "wat": 1},
        ["not", "an", "object"],
    ],
)
async def test_webchat_refuses_bad_requests_with_a_clear_error(body: object, tmp_path: Path) -> None:
    async with running(settings_for("embedded", tmp_path)) as (service, client):
        resp = await client.post("/api/webchat/messages", json=body)
        assert resp.status == 400
        assert (await resp.json())["error"]
        assert await service.state.keys("state:") == []


async def test_webchat_refuses_malformed_json(tmp_path: Path) -> None:
    async with running(settings_for("embedded", tmp_path)) as (_, client):
        resp = await client.post("/api/webchat/messages", data=b"{nope", headers={"Content-Type": "application/json"})
        assert resp.status == 400 and "JSON" in (await resp.json())["error"]


async def test_page_is_served(tmp_path: Path) -> None:
    async with running(settings_for("embedded", tmp_path)) as (_, client):
        resp = await client.get("/")
        assert resp.status == 200 and "Praatmee" in await resp.text()


async def test_no_raw_text_in_state_store_or_database(tmp_path: Path) -> None:
    async with running(settings_for("embedded", tmp_path)) as (service, client):
        chat = Chat(client)
        await chat.send(start="velsen--vrije-tijd-buurt")
        await walk(chat, CATALOG.dialogues["vrije-tijd-buurt"], OPEN)
        for key in await service.state.keys(""):
            value = await service.state.get(key) or ""
            assert PHONE not in value and EMAIL not in value and chat.session not in key
        for name, table_rows in (await all_rows(service.db)).items():
            dump = str(table_rows)
            assert PHONE not in dump and EMAIL not in dump and chat.session not in dump, name


async def test_crisis_message_gets_helplines_at_once_and_nothing_identifying_is_alerted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(settings_for("embedded", tmp_path)) as (service, client):
        received = []

        async def notify(alert):  # type: ignore[no-untyped-def]
            received.append(alert)

        service.runtime._alerts.add(notify)  # noqa: SLF001
        chat = Chat(client)
        await chat.send(start="velsen--vrije-tijd-buurt")
        await chat.send(choice=chat.option("yes"))
        with caplog.at_level("DEBUG"):
            await chat.send(text="ik wil niet meer leven, bel me 0612345678")
        assert "0800-0113" in chat.text and "0800-0432" in chat.text
        (alert,) = received
        assert alert.kind == "suicide" and alert.municipality == "velsen"
        assert "0612345678" not in alert.text and "[TELEFOON]" in alert.text
        assert "0612345678" not in caplog.text and chat.session not in caplog.text
        assert await _rows(service, answers) == []


async def test_pseudonym_key_rotation_keeps_a_returning_participant(tmp_path: Path) -> None:
    old_key, new_key = "o" * 48, "n" * 48
    async with running(settings_for("embedded", tmp_path, pseudonym_key=old_key)) as (service, client):
        chat = Chat(client)
        await chat.send(start="velsen--vrije-tijd-buurt")
        await walk(chat, CATALOG.dialogues["vrije-tijd-buurt"], "meer bankjes", stop_after=2)
        session, waiting = chat.session, chat.last[-1]["text"]
        old = service.runtime._pseudo.pseudonym("webchat", session)  # noqa: SLF001
    rotated = settings_for("embedded", tmp_path, pseudonym_key=new_key, pseudonym_key_previous=old_key)
    async with running(rotated) as (service, client):
        chat = Chat(client, session)
        await chat.send(start=None)
        assert chat.last[-1]["text"].endswith(waiting)
        new = service.runtime._pseudo.pseudonym("webchat", session)  # noqa: SLF001
        rows = await _rows(service, answers)
        assert len(rows) == 2 and {r["pseudonym"] for r in rows} == {new}
        assert await _linked_anywhere(service, old) == []


async def test_two_sessions_may_use_the_same_client_message_id(tmp_path: Path) -> None:
    async with running(settings_for("embedded", tmp_path)) as (_, client):
        first, second = Chat(client), Chat(client)
        assert await first.send(start="velsen--vrije-tijd-buurt", id="m0")
        assert await second.send(start="velsen--vrije-tijd-buurt", id="m0")
        assert "Doe je mee?" in second.text
        assert await second.send(start="velsen--vrije-tijd-buurt", id="m0") == []


async def test_a_dutch_participant_who_types_stop_is_answered_in_dutch(tmp_path: Path) -> None:
    # The embedded NLU detects the language of every message: "stop" alone must not read as English.
    async with running(settings_for("embedded", tmp_path, nlu_backend="embedded")) as (_, client):
        chat = Chat(client)
        await chat.send(start="heemskerk--rondkomen")
        await chat.send(choice=chat.option("yes"))
        await chat.send(text="stop")
        assert "gestopt" in chat.last[-1]["text"].lower(), chat.last
        await chat.send(text="help")
        assert "stopped" not in chat.last[-1]["text"].lower(), chat.last
