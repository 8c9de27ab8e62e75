"""After a sealing-key rotation, `praatmee keys reseal` moves every stored address and queued
message to the new key, so the old key can go without losing anyone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet

from bot.stores.sql import Database, Inbox, InboxItem
from bot.stores.sql.addresses import AddressBook
from bot.stores.sql.outbox import Outbox, OutboxItem
from bot.stores.sql.resealing import reseal_all
from bot.stores.sql.tables import addresses, inbox, inbox_envelopes, outbox
from moderation.sealing import AddressSealer
from tests.support.tables import rows

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OLD, NEW, LOST = AddressSealer.new_key(), AddressSealer.new_key(), AddressSealer.new_key()
ROOT = Path(__file__).resolve().parents[2]


async def _fill(db: Database) -> None:
    old = AddressSealer([OLD])
    book = AddressBook(db)
    for i in range(7):
        await book.put(f"p{i}", "whatsapp", old.seal(f"3161234567{i}"), T0)
    await book.put("legacy", "telegram", Fernet(OLD).encrypt(b"424242").decode(), T0)
    await book.put("lost", "whatsapp", AddressSealer([LOST]).seal("31600000000"), T0)
    await Outbox(db).enqueue([OutboxItem(idempotency_key=f"o{i}", channel="whatsapp",
                                         address_enc=old.seal(f"3161234567{i}"), payload="{}", due_at=T0)
                              for i in range(3)], T0)
    await Inbox(db).put([InboxItem(idempotency_key=f"i{i}", pseudonym=f"p{i}", channel="whatsapp",
                                   sealed=old.seal(f'{{"text": "bericht {i}"}}')) for i in range(2)], T0)
    await Inbox(db).keep(old.seal('[{"text": "nog in de envelop"}]'), 1, T0)


async def test_every_sealed_value_moves_to_the_first_key_and_the_old_key_can_go(db: Database) -> None:
    await _fill(db)
    counts = await reseal_all(db, AddressSealer([NEW, OLD]), batch=2)  # several pages per table
    assert [(c.table, c.resealed, c.current, c.unopenable) for c in counts] == [
        ("addresses", 8, 0, 1), ("outbox", 3, 0, 0), ("inbox", 2, 0, 0), ("inbox_envelopes", 1, 0, 0)]
    only_new = AddressSealer([NEW])
    book = {r["pseudonym"]: r["address_enc"] for r in await rows(db, addresses)}
    assert {p: only_new.open(v) for p, v in book.items() if p != "lost"} == {
        **{f"p{i}": f"3161234567{i}" for i in range(7)}, "legacy": "424242"}
    assert AddressSealer([LOST]).open(book["lost"]) == "31600000000"  # left as it was
    assert sorted(only_new.open(r["address_enc"]) for r in await rows(db, outbox)) == [
        f"3161234567{i}" for i in range(3)]
    assert sorted(only_new.open(r["sealed"]) for r in await rows(db, inbox)) == [
        '{"text": "bericht 0"}', '{"text": "bericht 1"}']
    assert [only_new.open(r["sealed"]) for r in await rows(db, inbox_envelopes)] == ['[{"text": "nog in de envelop"}]']
    again = await reseal_all(db, AddressSealer([NEW, OLD]))
    assert [(c.resealed, c.current) for c in again] == [(0, 8), (0, 3), (0, 2), (0, 1)]


def _reseal_cli(tmp_path: Path, keys: list[bytes]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRAATMEE_DATA_DIR": str(tmp_path),
           "PRAATMEE_DATABASE_URL": f"sqlite:///{tmp_path}/praatmee.sqlite",
           "PRAATMEE_SEALING_KEYS": ",".join(k.decode() for k in keys)}
    return subprocess.run([sys.executable, "-m", "bot", "keys", "reseal"], check=False, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


async def test_the_command_reports_what_it_did_and_fails_while_a_key_is_missing(tmp_path: Path) -> None:
    db = await Database.open(f"sqlite:///{tmp_path}/praatmee.sqlite")
    try:
        await _fill(db)
    finally:
        await db.close()
    out = _reseal_cli(tmp_path, [NEW, OLD])
    assert out.returncode == 1, out.stderr
    assert "addresses: 8 resealed, 0 already under the first key, 1 could not be opened" in out.stdout
    assert "keep every old key" in out.stdout
    out = _reseal_cli(tmp_path, [NEW, OLD, LOST])
    assert out.returncode == 0, out.stderr
    assert "addresses: 1 resealed, 8 already under the first key, 0 could not be opened" in out.stdout
    assert "can now be removed" in out.stdout
    assert "3161234567" not in out.stdout + out.stderr
