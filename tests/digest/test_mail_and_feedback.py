"""The digest e-mail reaches a real SMTP server (STARTTLS) once per week; feedback reaches
exactly the contributors, once each."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.digest.build import DigestBuilder
from bot.digest.feedback import FeedbackNote, FeedbackStore, compose, quiet_hours_end
from bot.digest.mail import SmtpSettings
from bot.digest.officials import OfficialStore, Subscription, SubscriptionError
from bot.digest.queries import InsightQueries, Scope
from bot.digest.scheduler import DigestJob, due_week, run_once
from bot.digest.weeks import AMSTERDAM
from bot.keys import load_pseudonymiser
from bot.simulate import week_clock
from bot.stores.sql.addresses import AddressBook
from bot.stores.sql.outbox import Outbox
from tests.digest.seed import seed_direct
from tests.support.service import Chat, running, settings_for
from tests.support.walk import walk

BACKENDS = ["embedded", "redis-pg"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[SmtpSettings, Path]]:
    """aiosmtpd in its own process, STARTTLS required, storing mail in a Maildir."""
    maildir = tmp_path / "maildir"
    cert, key = _certificate(tmp_path)
    port = _free_port()
    log = (tmp_path / "smtp.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "--tlscert", str(cert),
         "--tlskey", str(key), "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"aiosmtpd exited: {(tmp_path / 'smtp.log').read_text()}")
                import time

                time.sleep(0.1)
        yield SmtpSettings(host="127.0.0.1", port=port, security="starttls", ca_file=str(cert),
                           sender="digest@praatmee.test", _env_file=None), maildir  # type: ignore[call-arg]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _messages(maildir: Path) -> list[email.message.EmailMessage]:
    found = sorted((maildir / "new").glob("*")) if (maildir / "new").exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in found]  # type: ignore[misc]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_digest_mail_arrives_once_with_html_text_and_csv(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, smtp_server: tuple[SmtpSettings, Path],
) -> None:
    smtp, maildir = smtp_server
    settings = settings_for(backend, tmp_path, request)
    async with running(settings) as (service, _client):
        assert service.db is not None and service.catalog is not None
        db, catalog = service.db, service.catalog
        await seed_direct(db, catalog, "beverwijk", people=12, seed=1)
        await seed_direct(db, catalog, "heemskerk", people=12, seed=2, dialogue_id="rondkomen")
        store = OfficialStore(db)
        at = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
        await store.put(Subscription("anna", "Anna de Boer", "anna@beverwijk.test", ("beverwijk",),
                                     ("beverwijk",), weekday=1, hour=9), settings.municipalities, at)
        with pytest.raises(SubscriptionError):
            await store.put(Subscription("bob", "Bob", "bob@x.test", ("beverwijk",), ("heemskerk",)),
                            settings.municipalities, at)
        monday_0830 = dt.datetime(2026, 11, 23, 8, 30, tzinfo=AMSTERDAM)
        monday_0930 = monday_0830 + dt.timedelta(hours=1)
        sub = await store.get("anna")
        assert sub is not None
        assert due_week(sub, monday_0830) is None and due_week(sub, monday_0930) == "2026-W47"

        clock = [monday_0830]
        job = DigestJob(db, catalog, settings.municipalities, smtp, lambda: clock[0])
        assert await run_once(job) == {}
        clock[0] = monday_0930
        assert await run_once(job) == {"anna": "sent"}
        clock[0] = monday_0930 + dt.timedelta(hours=2)  # a restart later that day
        assert await run_once(DigestJob(db, catalog, settings.municipalities, smtp, lambda: clock[0])) == {
            "anna": "skipped"}
        await asyncio.sleep(0.2)
        messages = _messages(maildir)
        assert len(messages) == 1
        msg = messages[0]
        assert msg["To"] == "anna@beverwijk.test" and "2026-W47" in msg["Subject"]
        types = [part.get_content_type() for part in msg.walk()]
        assert {"text/plain", "text/html", "text/csv", "image/png"} <= set(types)
        html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
        text = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_content()
        csv_part = next(p for p in msg.walk() if p.get_content_type() == "text/csv")
        assert csv_part.get_filename() == "digest.csv"
        assert "Beverwijk" in html and "Heemskerk" not in html and "Heemskerk" not in text
        for cid in [p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_type() == "image/png"]:
            assert f"cid:{cid}" in html


@pytest.mark.parametrize("backend", BACKENDS)
async def test_feedback_reaches_exactly_the_contributors_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    settings = settings_for(backend, tmp_path, request)
    async with running(settings, clock=week_clock("2026-W47")) as (service, client):
        assert service.db is not None and service.catalog is not None and service.worker is not None
        catalog = service.catalog
        chats: dict[str, list[Chat]] = {"contributor": [], "other_town": [], "other_dialogue": []}
        for role, town, dialogue_id, n in (("contributor", "beverwijk", "vrije-tijd-buurt", 7),
                                           ("other_town", "heemskerk", "vrije-tijd-buurt", 2),
                                           ("other_dialogue", "beverwijk", "rondkomen", 1)):
            dialogue = catalog.get(dialogue_id)
            assert dialogue is not None
            for _ in range(n):
                chat = Chat(client)
                await chat.send(start=f"{town}--{dialogue_id}")
                assert (await walk(chat, dialogue, "meer licht op straat")).completed
                chats[role].append(chat)
        stopped = chats["contributor"].pop()  # said stop: no more messages from us
        pseudonym = load_pseudonymiser(settings).pseudonym("webchat", stopped.session)
        assert service.insights is not None
        await service.insights.set_active(pseudonym, False)

        store = FeedbackStore(service.db)
        note = FeedbackNote("beverwijk", "dialogue", "vrije-tijd-buurt", "adopted",
                            "Er komen 20 nieuwe lantaarnpalen in het park.", "20 new street lights in the park.")
        feedback_id = await store.record(note, service.clock())
        titles = lambda n, lang: "Vrije tijd in je buurt"
        now = service.clock()
        first = await store.fan_out(feedback_id, AddressBook(service.db), Outbox(service.db), now, titles)
        assert (first.queued, first.recipients) == (6, 6)
        await service.worker.drain()
        again = await store.fan_out(feedback_id, AddressBook(service.db), Outbox(service.db), now, titles)
        assert again.queued == 0 and again.recipients == 6
        await service.worker.drain()

        async def inbox(chat: Chat) -> list[str]:
            resp = await client.get("/api/webchat/messages", params={"session": chat.session})
            return [m["text"] for m in (await resp.json())["messages"]]

        for chat in chats["contributor"]:
            got = await inbox(chat)
            assert len(got) == 1 and "lantaarnpalen" in got[0] and "Vrije tijd in je buurt" in got[0]
        for chat in [*chats["other_town"], *chats["other_dialogue"], stopped]:
            assert await inbox(chat) == []
        assert await store.reached([feedback_id]) == {feedback_id: 6}

        builder = DigestBuilder(InsightQueries(service.db), store, catalog, settings.municipalities)
        digest = await builder.build(Scope("beverwijk"), "2026-W47", "nl")
        assert [(f.queued, f.reached) for f in digest.feedback] == [(6, 6)]


def test_feedback_message_language_template_and_quiet_hours() -> None:
    note = FeedbackNote("beverwijk", "theme", "vervoer", "in_progress", "De bus gaat vaker rijden.",
                        "The bus will run more often.")
    english = compose(note, "en", "transport")
    assert "The bus will run more often." in english.text and english.lang == "en"
    assert english.bulk and english.template == "feedback"
    dutch_only = FeedbackNote("beverwijk", "topic", "12", "not_now", "Dit kan pas volgend jaar.")
    assert "Dit kan pas volgend jaar." in compose(dutch_only, "en", "x").text
    evening = dt.datetime(2026, 11, 18, 22, 30, tzinfo=AMSTERDAM)
    assert quiet_hours_end(evening) == dt.datetime(2026, 11, 19, 9, 0, tzinfo=AMSTERDAM)
    noon = dt.datetime(2026, 11, 18, 12, 0, tzinfo=AMSTERDAM)
    assert quiet_hours_end(noon) == noon
