"""Canary: personal data planted in chat messages never reaches storage, logs or exports.

About thirty messages carry planted values of every type the anonymiser knows (names, phone,
e-mail, BSN, IBAN, street and number, postcode, place, date of birth, age, school, account,
URL, licence plate, case number). They go through the whole bot over the web chat, on Redis +
PostgreSQL: as open answers inside dialogues, as raised topics, as free chat and as a crisis
message (which raises an alert). Logging is captured at DEBUG for every logger, the aiohttp
access log included (with the production access-log class). Afterwards every table and column
of the database, every key and value under the test's Redis prefix, the captured log, the
``praatmee anonymise`` export of the same corpus and the digest export (after an official
approved every quote as stored) are searched: no planted value may appear anywhere.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis.asyncio as aredis
from aiohttp.test_utils import TestClient, TestServer

from bot.accesslog import PathOnlyAccessLogger
from bot.config import Settings
from bot.dialogue.catalog import Catalog
from bot.dialogue.model import StepType
from bot.digest.cli import digest as digest_command
from bot.digest.review import ReviewQueue
from bot.service import Service
from bot.simulate import week_clock
from moderation import PLACEHOLDERS, Anonymiser
from tests.support.service import Chat, settings_for
from tests.support.tables import all_rows
from tests.support.walk import walk

REPO = Path(__file__).resolve().parents[2]
WEEK = "2026-W47"
MUNICIPALITY = "velsen"

#: (message, planted values that must never be seen again). A value too short to be unique on
#: its own ("15") is searched together with the words around it ("ben 15").
CORPUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ik ben sanne de vries en ik wil meer te doen in de wijk", ("sanne", "de vries")),
    ("bel me op 06-48213957 als er nieuws is", ("48213957",)),
    ("mail naar jaylano.koster@hotmail.com pls", ("jaylano",)),
    ("mn bsn is 123456782 staat op mn pas", ("123456782",)),
    ("mn iban NL91ABNA0417164300 voor de toeslag", ("0417164300", "NL91ABNA")),
    ("ik woon op de populierenstraat 14 in 1971 HK", ("populierenstraat", "1971 HK")),
    ("mijn broertje jayden zit op het ichthus lyceum", ("jayden", "ichthus")),
    ("die scooter met kenteken 4-TFX-21 staat altijd op de stoep", ("TFX",)),
    ("mn dossiernummer bij jeugdzorg is JZ-2024-88123", ("88123",)),
    ("volg me op insta @noor.elhaddad", ("elhaddad",)),
    ("ik ben geboren op 14-03-2009 in het ziekenhuis", ("14-03-2009",)),
    ("ik ben 15 en woon in santpoort-noord", ("santpoort", "ben 15")),
    ("kijk op www.tiktok.com/@mila_bakker09 daar staat het", ("bakker09",)),
    ("mn moeder heet fatima el amrani", ("fatima", "amrani")),
    ("ik zit op het nova college in de 3e", ("nova college",)),
    ("mijn mentor meneer kuijpers zegt dat het goed komt", ("kuijpers",)),
    ("app me maar +31 6 23456789", ("23456789",)),
    ("mijn vriend thijs woont op de zeeweg 88b", ("thijs", "zeeweg")),
    ("mijn postcode is 2011 VM", ("2011 VM",)),
    ("klantnummer 4478221 bij de gemeente", ("4478221",)),
    ("snap: lotte_xo2", ("lotte_xo2",)),
    ("hoi ik ben ilse, 16 jaar", ("ilse", "16 jaar")),
    ("hoi ik ben daan visser", ("daan", "visser")),
    ("mijn rekening is NL14RABO0318461279", ("0318461279", "NL14RABO")),
    ("mn zusje zit op obs de regenboog", ("regenboog",)),
    ("geboortedatum 02-11-2008", ("02-11-2008",)),
    ("mn bsn 111222333 en mn broer heet ravi", ("111222333", "ravi")),
    ("mail maar naar noa.dekker@ziggo.nl", ("noa.dekker",)),
    ("bel mijn vader joost op 0612398745", ("joost", "0612398745")),
    ("ik woon in driehuis bij de kerk", ("driehuis",)),
)
#: a crisis with planted data: the alert must carry only the redacted text
CRISIS = ("ik wil dood ik ben mila jansen bel me op 0687654321", ("mila jansen", "0687654321"))
NEEDLES = tuple(n.lower() for _, needles in (*CORPUS, CRISIS) for n in needles)

#: corpus positions sent as open answers (two per dialogue with an open question) and topics
OPEN_ANSWERS = range(6)
TOPICS = range(6, 16)


def _leaks(where: str, texts: Iterable[str]) -> list[str]:
    found = []
    for text in texts:
        low = text.lower()
        found += [f"{where}: {needle!r}" for needle in NEEDLES if needle in low]
    return found


def test_corpus_covers_every_type_and_the_anonymiser_sees_each_value() -> None:
    anon = Anonymiser()
    types = set()
    for text, needles in (*CORPUS, CRISIS):
        redaction = anon.anonymise(text)
        types |= {span.type for span in redaction.spans}
        assert not _leaks(text, [redaction.text])
        assert all(needle.lower() in text.lower() for needle in needles)  # planted for real
    assert types == set(PLACEHOLDERS)


@asynccontextmanager
async def _serving(settings: Settings) -> AsyncIterator[tuple[Service, TestClient]]:
    """The service on a real HTTP server with production's access-log class."""
    service = Service(settings, clock=week_clock(WEEK))
    server = TestServer(service.app())
    await server.start_server(access_log_class=PathOnlyAccessLogger)  # the client's is a no-op
    client = TestClient(server)
    await client.start_server()
    try:
        yield service, client
    finally:
        await client.close()


async def _through_the_bot(client: TestClient, catalog: Catalog) -> None:
    with_open = sorted(
        d.id
        for d in catalog.dialogues.values()
        if any(s.type is StepType.OPEN_TEXT for s in d.steps)
    )
    assert len(with_open) * 2 >= len(OPEN_ANSWERS)
    walkers = []
    for n in OPEN_ANSWERS:
        dialogue = catalog.dialogues[with_open[n % len(with_open)]]
        chat = Chat(client)
        await chat.send(start=f"{MUNICIPALITY}--{dialogue.id}")
        assert (await walk(chat, dialogue, CORPUS[n][0])).completed
        walkers.append(chat)
    for n in TOPICS:
        chat = Chat(client)
        await chat.send(start=MUNICIPALITY)
        await chat.send(choice="_topic")
        await chat.send(text=CORPUS[n][0])
        assert "Dank je" in chat.text
    # free chat after a finished dialogue, spread over the participants who walked one
    for n in range(TOPICS.stop, len(CORPUS)):
        await walkers[n % len(walkers)].send(text=CORPUS[n][0])
    crisis = walkers[0]
    await crisis.send(text=CRISIS[0])
    assert "113" in crisis.text


async def _sql_texts(service: Service) -> tuple[list[str], dict[str, int]]:
    """Every value of every column of every table, as text; and the row count per table."""
    assert service.db is not None
    texts: list[str] = []
    counts: dict[str, int] = {}
    for name, rows in (await all_rows(service.db)).items():
        counts[name] = len(rows)
        for row in rows:
            for value in row:
                if isinstance(value, bytes | bytearray | memoryview):
                    texts.append(bytes(value).decode("utf-8", "replace"))
                elif value is not None:
                    texts.append(value if isinstance(value, str) else repr(value))
    return texts, counts


async def _redis_texts(url: str, prefix: str) -> list[str]:
    """Every key under ``prefix`` and every value it holds, whatever its Redis type."""
    client = aredis.Redis.from_url(url)
    texts: list[str] = []
    try:
        async for key in client.scan_iter(match=prefix + "*"):
            texts.append(key.decode("utf-8", "replace"))
            kind = (await client.type(key)).decode()
            values: list[bytes]
            if kind == "string":
                values = [await client.get(key)]
            elif kind == "hash":
                values = [b for pair in (await client.hgetall(key)).items() for b in pair]
            elif kind == "list":
                values = await client.lrange(key, 0, -1)
            elif kind == "set":
                values = list(await client.smembers(key))
            elif kind == "zset":
                values = await client.zrange(key, 0, -1)
            elif kind == "stream":
                values = [repr(entry).encode() for entry in await client.xrange(key)]
            else:
                raise AssertionError(f"unexpected Redis type {kind} at {key!r}")
            texts += [v.decode("utf-8", "replace") for v in values if v is not None]
    finally:
        await client.aclose()
    return texts


def _exported_anonymise(tmp_path: Path) -> list[str]:
    """``praatmee anonymise`` on the same corpus, as an operator would clean an export."""
    lines = [json.dumps({"id": i, "text": text}) for i, (text, _) in enumerate((*CORPUS, CRISIS))]
    out = tmp_path / "anonymised.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        subprocess.run(
            [sys.executable, "-m", "bot", "anonymise"],
            input="\n".join(lines) + "\n",
            stdout=handle,
            text=True,
            check=True,
            cwd=REPO,
            timeout=120,
        )
    written = out.read_text(encoding="utf-8").splitlines()
    assert len(written) == len(lines)
    assert all("[" in json.loads(line)["text"] for line in written)
    return written


async def _exported_digest(
    service: Service, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The week's digest after an official approved every queued quote exactly as stored."""
    assert service.db is not None
    queue = ReviewQueue(service.db)
    assert await queue.fill(MUNICIPALITY, WEEK, service.clock()) > 0
    for item in await queue.items(MUNICIPALITY, WEEK, statuses=("pending", "held")):
        await queue.approve(item.id, "ambtenaar1", service.clock())
    monkeypatch.setenv("PRAATMEE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PRAATMEE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PRAATMEE_NLU_BACKEND", "keywords")
    folder = tmp_path / "digest"
    args = argparse.Namespace(
        week=WEEK, municipality=MUNICIPALITY, out=folder, lang="nl",
        domains=(), themes=(), send=False, official=None,
    )  # fmt: skip
    assert await digest_command(args, io.StringIO()) == 0
    files = sorted(folder.iterdir())
    assert {f.name for f in files} >= {"digest.html", "digest.txt", "digest.csv"}
    return [f.read_bytes().decode("utf-8", "replace") for f in files]


async def test_planted_personal_data_appears_nowhere(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    caplog.set_level(logging.DEBUG)
    settings = settings_for("redis-pg", tmp_path, request)
    async with _serving(settings) as (service, client):
        assert service.catalog is not None
        await _through_the_bot(client, service.catalog)
        sql, counts = await _sql_texts(service)
        assert settings.redis_url is not None
        kept = await _redis_texts(settings.redis_url, settings.redis_prefix)
        digest = await _exported_digest(service, settings, tmp_path, monkeypatch)
    exported = _exported_anonymise(tmp_path)

    logged = [caplog.text, *(r.getMessage() for r in caplog.records)]
    leaks = (
        _leaks("sql", sql)
        + _leaks("redis", kept)
        + _leaks("log", logged)
        + _leaks("praatmee anonymise", exported)
        + _leaks("digest", digest)
    )
    assert leaks == []

    # the corpus really was stored and logged, redacted: the search below is not vacuous
    assert counts["answers"] and counts["topics"] >= len(TOPICS)
    assert any("[TELEFOON]" in t for t in sql) and any("[NAAM]" in t for t in sql)
    assert kept, "nothing under the test's Redis prefix"
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert access and all(line.startswith(("POST /api/webchat/", "GET /")) for line in access)
    assert any(r.name == "praatmee.safety" for r in caplog.records)
    # approved quotes made it into the digest, redacted: the digest search was not vacuous
    assert any("[NAAM]" in text or "[TELEFOON]" in text for text in digest)
