"""The inbox keeps what a webhook accepted until it is handled: in order per person, never lost."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.channels.base import DeliveryStatus
from bot.intake import Intake, decode_inbound, encode_inbound
from bot.messages import (
    InboundKind,
    InboundMessage,
    InboundRecord,
    OutboundMessage,
    inbound_from_record,
    inbound_record,
)
from bot.stores.sql import Database, Inbox, InboxItem
from moderation.pseudonyms import Pseudonymiser
from moderation.sealing import AddressSealer
from tests.support.tables import all_rows, rows

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def _item(key: str, person: str) -> InboxItem:
    return InboxItem(idempotency_key=key, pseudonym=person, channel="whatsapp", sealed=f"sealed-{key}")


async def test_put_is_idempotent_and_claims_go_oldest_first_one_per_person(db: Database) -> None:
    inbox = Inbox(db)
    assert await inbox.put([_item("a1", "anne"), _item("b1", "bo"), _item("a2", "anne")], T0) == 3
    assert await inbox.put([_item("a1", "anne")], T0) == 0  # Meta redelivered the webhook
    kept = {r["idempotency_key"]: r for r in await rows(db, Inbox.table())}
    assert sorted(kept) == ["a1", "a2", "b1"]
    assert {(r["received_at"], r["status"], r["attempts"], r["not_before"]) for r in kept.values()} == {
        (T0, "pending", 0, None)}
    first = await inbox.claim(T0, 10, LEASE)
    assert [r.sealed for r in first] == ["sealed-a1", "sealed-b1"]  # anne's second waits for her first
    assert await inbox.claim(T0, 10, LEASE) == []  # leased, and a2 still behind a1
    await inbox.done([r.id for r in first])
    assert [r.sealed for r in await inbox.claim(T0, 10, LEASE)] == ["sealed-a2"]


async def test_a_lease_that_ran_out_is_claimed_again_and_postponed_rows_wait(db: Database) -> None:
    inbox = Inbox(db)
    await inbox.put([_item("a1", "anne"), _item("a2", "anne")], T0)
    (row,) = await inbox.claim(T0, 10, LEASE)
    # The process died while handling it: after the lease another claim gets it back.
    (again,) = await inbox.claim(T0 + LEASE + timedelta(seconds=1), 10, LEASE)
    assert (again.id, again.attempts) == (row.id, 2)
    later = T0 + timedelta(minutes=5)
    await inbox.postpone(again, later, "StoreUnavailable")
    assert await inbox.claim(later - timedelta(seconds=1), 10, LEASE) == []  # a2 waits behind a1 too
    assert [r.sealed for r in await inbox.claim(later, 10, LEASE)] == ["sealed-a1"]
    await inbox.postpone(again, later, "StoreUnavailable", dead=True)
    assert await inbox.counts() == {"pending": 1, "dead": 1}
    assert [r.sealed for r in await inbox.claim(later, 10, LEASE)] == ["sealed-a2"]  # a dead row blocks nobody


class FlakyRuntime:
    """Fails the first ``fail`` messages, then accepts; records what it handled, in order."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.handled: list[InboundMessage] = []

    async def accept(self, message: InboundMessage) -> Sequence[OutboundMessage]:
        if self.fail:
            self.fail -= 1
            raise ConnectionError(f"store away while writing {message.text!r}")
        self.handled.append(message)
        return []

    async def status(self, update: DeliveryStatus) -> None:
        return None


def _message(user: str, n: int, text: str) -> InboundMessage:
    return InboundMessage(channel="whatsapp", channel_user_id=user, message_id=f"wamid.{user}.{n}",
                          received_at=T0, kind=InboundKind.TEXT, text=text, address="31612345678")


def _record(user: str, n: int, text: str) -> InboundRecord:
    """As a webhook hands it over (Unix seconds, as Meta sends them)."""
    return {**inbound_record(_message(user, n, text)), "at": int(T0.timestamp())}


def _intake(db: Database, runtime: FlakyRuntime, now: list[datetime]) -> Intake:
    return Intake(Inbox(db), runtime, Pseudonymiser(b"k" * 32), AddressSealer([base64.urlsafe_b64encode(b"s" * 32)]),
                  clock=lambda: now[0])


def test_a_message_survives_its_encoding_whole() -> None:
    message = InboundMessage(channel="whatsapp", channel_user_id="NL.123", message_id="wamid.X", received_at=T0,
                             kind=InboundKind.CHOICE, choice_ids=("3.yes",), address="31612345678",
                             language_hint="nl", reply_to="wamid.Y", start_payload=None, text=None)
    assert decode_inbound(encode_inbound(message)) == message


def test_a_webhook_record_reads_as_the_message_it_stands_for() -> None:
    """Webhooks keep Unix seconds; envelopes kept before that hold ISO text: both read."""
    record = _record("anne", 0, "hoi")
    assert inbound_from_record(record) == _message("anne", 0, "hoi")
    # Envelopes from before municipalities were kept have no such key.
    older = {key: value for key, value in record.items() if key != "municipality"}
    assert inbound_from_record({**older, "at": T0.isoformat()}) == _message("anne", 0, "hoi")  # type: ignore[typeddict-item]


async def test_handling_that_fails_is_retried_in_order_and_nothing_raw_is_at_rest(db: Database) -> None:
    runtime = FlakyRuntime(fail=1)
    now = [T0]
    intake = _intake(db, runtime, now)
    for n, text in enumerate(["hoi", "bel me 06-12345678", "klaar"]):
        await intake.accept(_message("NL.1349120865530274", n, text))
    await intake.accept(_message("NL.9988776655443322", 0, "hallo"))
    for when in ("in envelopes", "unpacked"):
        stored = str(await all_rows(db))
        for raw in ("06-12345678", "NL.1349120865530274", "31612345678", "hallo"):
            assert raw not in stored, (when, raw)
        await intake._inbox.unpack(intake._open_envelope, 10)
    await intake.drain()
    # Anne's first message failed: bo went ahead, anne's others wait behind her first.
    assert [m.text for m in runtime.handled] == ["hallo"]
    now[0] = T0 + timedelta(minutes=1)
    await intake.drain()
    assert [m.text for m in runtime.handled] == ["hallo", "hoi", "bel me 06-12345678", "klaar"]
    assert await Inbox(db).counts() == {"pending": 0, "dead": 0}


async def test_a_restarted_process_handles_what_the_old_one_accepted(db: Database) -> None:
    now = [T0]
    await _intake(db, FlakyRuntime(), now).accept(_message("anne", 0, "hoi"))
    runtime = FlakyRuntime()
    assert await _intake(db, runtime, now).drain() == 1
    assert [m.text for m in runtime.handled] == ["hoi"]


class _CountingInbox(Inbox):
    """The real inbox, counting the writes of webhooks (envelopes per write, and the
    messages in each); ``fail`` makes the next write fail."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.puts: list[list[int]] = []
        self.fail = False
        self._failing: object = None

    def _close(self, gathering: Any) -> list[tuple[str, int, datetime]]:
        """Called as a write begins, on either database."""
        if gathering is not self._failing:
            self.puts.append([messages for _sealed, messages, _at in gathering.rows])
        if self.fail:  # this write fails, also when the writer tries it again alone
            self.fail, self._failing = False, gathering
        if gathering is self._failing:
            raise ConnectionError("database away")
        return super()._close(gathering)


async def test_a_burst_of_webhooks_is_kept_and_each_learns_its_own_fate(db: Database) -> None:
    inbox = _CountingInbox(db)
    intake = Intake(inbox, FlakyRuntime(), Pseudonymiser(b"k" * 32),
                    AddressSealer([base64.urlsafe_b64encode(b"s" * 32)]), clock=lambda: T0)
    burst = [_message(f"person{i}", 0, "hoi") for i in range(50)]
    await asyncio.gather(*(intake.accept(m) for m in burst))
    assert inbox.puts == [[1] * 50]  # one statement for the lot
    assert (await inbox.counts())["pending"] == 50  # every message is in
    # A write that fails fails the webhooks whose messages it held (Meta redelivers them);
    # none is answered as accepted while its message is not stored.
    inbox.puts.clear()
    inbox.fail = True
    outcomes = await asyncio.gather(*(intake.accept(_message(f"late{i}", 0, "hoi")) for i in range(5)),
                                    return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, ConnectionError)]
    assert len(failed) == 5
    assert (await inbox.counts())["pending"] == 50 + 5 - len(failed)
    await asyncio.gather(*(intake.accept(_message(f"late{i}", 0, "hoi")) for i in range(5)))  # redelivered
    # Repeats wait in their envelopes until unpacked; then each message is there once.
    assert (await inbox.counts())["pending"] == 50 + 5 - len(failed) + 5
    runtime = FlakyRuntime()
    await Intake(inbox, runtime, Pseudonymiser(b"k" * 32), AddressSealer([base64.urlsafe_b64encode(b"s" * 32)]),
                 clock=lambda: T0).drain()
    assert len(runtime.handled) == 55
    assert len({m.message_id for m in runtime.handled}) == 55
    assert await inbox.counts() == {"pending": 0, "dead": 0}


async def test_during_a_burst_webhook_answers_come_first_and_handling_catches_up_after(db: Database) -> None:
    runtime = FlakyRuntime()
    intake = _intake(db, runtime, [T0])
    burst = [_message(f"person{i}", 0, "hoi") for i in range(150)]  # over 400/s for a quarter second
    await asyncio.gather(*(intake.accept(m) for m in burst))
    assert intake.busy()
    assert await intake.drain_once() == 1  # one message at a time while webhooks pour in
    await asyncio.sleep(0.3)  # the burst is over
    assert not intake.busy()
    assert await intake.drain_once() == 64  # a whole batch, side by side
    await intake.drain()
    assert len(runtime.handled) == 150 and (await Inbox(db).counts())["pending"] == 0


async def test_one_webhooks_messages_are_kept_with_one_write_in_the_order_meta_sent_them(db: Database) -> None:
    inbox = _CountingInbox(db)
    runtime = FlakyRuntime()
    intake = Intake(inbox, runtime, Pseudonymiser(b"k" * 32),
                    AddressSealer([base64.urlsafe_b64encode(b"s" * 32)]), clock=lambda: T0)
    batch = [_record("anne", 0, "eerste"), _record("bo", 0, "hoi"), _record("anne", 1, "tweede"),
             _record("anne", 2, "derde")]
    await intake.accept_all(batch)
    assert inbox.puts == [[4]]  # one envelope of four messages, one write
    await intake.accept_all(batch)  # Meta redelivered the whole webhook: nothing new once unpacked
    await intake.drain()
    assert len(runtime.handled) == 4
    assert [m.text for m in runtime.handled if m.channel_user_id == "anne"] == ["eerste", "tweede", "derde"]
    assert sorted(m.text for m in runtime.handled) == ["derde", "eerste", "hoi", "tweede"]


async def test_envelopes_are_unpacked_oldest_first_and_only_as_many_as_needed(db: Database) -> None:
    runtime = FlakyRuntime()
    intake = _intake(db, runtime, [T0])
    for e in range(4):  # four webhooks of ten messages; anne writes in each
        await intake.accept_all([_record("anne", e, f"anne {e}")] + [_record(f"p{e}.{i}", 0, "hoi") for i in range(9)])
    first = await intake._inbox.unpack(intake._open_envelope, 1)
    assert (first.envelopes, first.messages, first.dead) == (1, 10, 0)
    assert await intake._inbox.counts() == {"pending": 40, "dead": 0}
    unpacked = sorted(await rows(db, Inbox.table()), key=lambda r: r["id"])
    assert len(unpacked) == 10  # the first webhook's, in its order
    assert unpacked[0]["idempotency_key"] == hashlib.sha256(b"whatsapp\x00wamid.anne.0").hexdigest()
    second = await intake._inbox.unpack(intake._open_envelope, 11)  # two envelopes hold 11
    assert (second.envelopes, second.messages, second.dead) == (2, 20, 0)
    assert len(await rows(db, Inbox.table())) == 30
    await intake.drain()
    assert [m.text for m in runtime.handled if m.channel_user_id == "anne"] == ["anne 0", "anne 1", "anne 2", "anne 3"]
    assert len(runtime.handled) == 40


async def test_an_envelope_that_cannot_be_opened_is_kept_as_dead_and_blocks_nobody(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    runtime = FlakyRuntime()
    intake = _intake(db, runtime, [T0])
    await intake.accept(_message("anne", 0, "eerste"))
    other_key = AddressSealer([AddressSealer.new_key()])  # e.g. a key removed too early
    await Inbox(db).keep(other_key.seal('[{"text": "bel 0612345678"}]'), 3, T0)
    await intake.accept(_message("anne", 1, "tweede"))
    await intake.drain()
    assert [m.text for m in runtime.handled] == ["eerste", "tweede"]
    assert await Inbox(db).counts() == {"pending": 0, "dead": 3}
    assert "could not be opened" in caplog.text and "0612345678" not in caplog.text


async def test_two_processes_unpack_and_handle_one_persons_messages_in_order(postgres_url: str) -> None:
    """PostgreSQL serves several processes: one unpacks at a time, and order holds."""
    runtime = FlakyRuntime()
    dbs = [await Database.open(postgres_url), await Database.open(postgres_url)]
    try:
        first, second = (_intake(d, runtime, [T0]) for d in dbs)
        for n in range(40):
            await first.accept_all([_record("anne", n, f"anne {n}"), _record(f"p{n}", 0, "hoi")])
        await asyncio.gather(first.drain(), second.drain(), first.drain(), second.drain())
        assert await first._inbox.counts() == {"pending": 0, "dead": 0}
    finally:
        for d in dbs:
            await d.close()
    assert [m.text for m in runtime.handled if m.channel_user_id == "anne"] == [f"anne {n}" for n in range(40)]
    assert len(runtime.handled) == 80
