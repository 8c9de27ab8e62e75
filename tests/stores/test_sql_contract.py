"""One contract for the SQL stores, run on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, select, text

from bot.stores.sql import (
    BULK,
    AddressBook,
    AnswerRecord,
    Database,
    InsightStore,
    Outbox,
    OutboxItem,
    iso_week,
)
from bot.stores.sql.outbox import RELEASE_GRACE, RESEND_AFTER, AfterStatus, StatusRecorded
from bot.stores.sql.tables import delivery_log, metadata, outbox
from tests.support.tables import rows

T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)



def _answer(key: str, pseudonym: str = "p1", municipality: str = "velsen", **kw: object) -> AnswerRecord:
    base: dict[str, object] = dict(
        idempotency_key=key, pseudonym=pseudonym, municipality=municipality, domain="jeugd",
        dialogue_id="proef", step_id="q1", step_type="single_choice", lang="nl",
        answered_at=T0, option_ids=("bus",),
    )
    base.update(kw)
    return AnswerRecord(**base)  # type: ignore[arg-type]


async def test_schema_matches_models_after_migration(db: Database) -> None:
    def diff(conn: Connection) -> list[object]:
        return compare_metadata(MigrationContext.configure(conn), metadata)

    assert await db.run(diff) == []


async def test_migrating_twice_changes_nothing(db: Database) -> None:
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(resources.files("bot.stores.sql") / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    await db.upgrade()
    version = await db.run(lambda conn: conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    assert version == head


async def test_answers_are_idempotent_and_carry_week(db: Database) -> None:
    store = InsightStore(db)
    assert await store.add_answer(_answer("k1"))
    assert not await store.add_answer(_answer("k1"))
    assert await store.add_answer(_answer("k2", municipality="heemskerk"))
    assert await store.count_answers() == 2
    assert await store.count_answers("velsen") == 1
    assert iso_week(T0) == "2026-W47"


async def test_each_message_moves_the_last_inbound_time_of_that_participant_only(db: Database) -> None:
    store = InsightStore(db)
    await store.enrol("p1", "whatsapp", "velsen", "nl", T0)
    await store.enrol("p2", "whatsapp", "velsen", "nl", T0)
    await store.wrote("p1", T0 + timedelta(hours=30))
    await store.wrote("nobody", T0 + timedelta(hours=30))  # not enrolled: nothing to move
    p1, p2 = await store.participant("p1"), await store.participant("p2")
    assert p1 is not None and p1.last_inbound_at == T0 + timedelta(hours=30)
    assert p2 is not None and p2.last_inbound_at == T0
    assert await store.participant("nobody") is None


async def test_enrol_updates_language_and_keeps_municipality(db: Database) -> None:
    store = InsightStore(db)
    await store.enrol("p1", "webchat", "velsen", "nl", T0)
    await store.enrol("p1", "webchat", None, "en", T0 + timedelta(minutes=1))
    p = await store.participant("p1")
    assert p is not None and p.municipality == "velsen" and p.lang == "en"
    assert p.last_inbound_at == T0 + timedelta(minutes=1)
    await store.mark_unreachable("p1")
    p = await store.participant("p1")
    assert p is not None and p.unreachable and not p.active


async def test_erase_leaves_nothing_linked(db: Database) -> None:
    store, book, box = InsightStore(db), AddressBook(db), Outbox(db)
    for who in ("p1", "p2"):
        await store.enrol(who, "webchat", "velsen", "nl", T0)
        await store.add_answer(_answer(f"a-{who}", pseudonym=who, text="[NAAM] zegt hoi"))
        await store.add_completion(f"c-{who}", who, "velsen", "jeugd", "proef", T0)
        await store.add_topic(f"t-{who}", who, "velsen", "meer bankjes", "nl", T0)
        await book.put(who, "webchat", "sealed", T0)
        await box.enqueue([OutboxItem(f"o-{who}", "webchat", "sealed", "{}", T0, who)], T0)
    deleted = await store.erase("p1")
    assert deleted >= 6
    for table in metadata.sorted_tables:
        if "pseudonym" in table.c:
            rows = await db.run(lambda conn, t=table: conn.execute(select(t).where(t.c.pseudonym == "p1")).all())
            assert rows == [], table.name
    assert await store.participant("p2") is not None


async def test_addresses_roundtrip(db: Database) -> None:
    book = AddressBook(db)
    assert await book.get("p1") is None
    await book.put("p1", "telegram", "sealed-1", T0)
    await book.put("p1", "telegram", "sealed-2", T0)
    assert await book.get("p1") == ("telegram", "sealed-2")


async def test_outbox_claims_due_rows_conversational_first(db: Database) -> None:
    box = Outbox(db)
    items = [
        OutboxItem("bulk", "telegram", "a", '{"n":1}', T0, "p1", BULK),
        OutboxItem("reply", "telegram", "a", '{"n":2}', T0 + timedelta(seconds=1), "p1"),
        OutboxItem("later", "telegram", "a", '{"n":3}', T0 + timedelta(hours=1), "p1"),
    ]
    assert await box.enqueue(items, T0) == 3
    assert await box.enqueue(items[:1], T0) == 0
    claimed = await box.claim(T0 + timedelta(seconds=5), 10, timedelta(seconds=30))
    assert [r.idempotency_key for r in claimed] == ["reply", "bulk"]
    assert await box.claim(T0 + timedelta(seconds=6), 10, timedelta(seconds=30)) == []
    assert await box.next_due() == T0 + timedelta(hours=1)


async def test_outbox_lease_expiry_makes_rows_claimable_again(db: Database) -> None:
    box = Outbox(db)
    await box.enqueue([OutboxItem("k", "webchat", "a", "{}", T0, "p1")], T0)
    first = await box.claim(T0, 10, timedelta(seconds=30))
    assert len(first) == 1
    again = await box.claim(T0 + timedelta(seconds=31), 10, timedelta(seconds=30))
    assert [r.id for r in again] == [first[0].id] and again[0].attempts == 2


async def test_outbox_delivered_retry_failed(db: Database) -> None:
    box = Outbox(db)
    await box.enqueue(
        [OutboxItem(k, "whatsapp", "sealed", "{}", T0, "p1") for k in ("a", "b", "c")], T0
    )
    a, b, c = await box.claim(T0, 10, timedelta(seconds=30))
    await box.delivered(a, "wamid.1", T0)
    await box.retry(b, T0 + timedelta(seconds=10), "429")
    await box.failed(c, "blocked", T0, code=131026)
    assert await box.pending() == 1
    assert await box.claim(T0 + timedelta(seconds=5), 10, timedelta(seconds=30)) == []
    (again,) = await box.claim(T0 + timedelta(seconds=10), 10, timedelta(seconds=30))
    assert again.idempotency_key == "b"
    assert (await box.log_status("whatsapp", "wamid.1", "read", T0)).pseudonym == "p1"


def _sent_rows(found: list[dict[str, object]]) -> list[tuple[object, object]]:
    sent = [(r["idempotency_key"], r["platform_message_id"]) for r in found if r["status"] == "sent"]
    return sorted(sent, key=str)


async def test_outbox_keeps_a_sent_row_until_a_status_confirms_it(db: Database) -> None:
    box = Outbox(db)
    await box.enqueue([OutboxItem(k, "whatsapp", "sealed", "{}", T0, "p1") for k in ("a", "b")], T0)
    a, b = await box.claim(T0, 10, timedelta(seconds=30))
    await box.delivered(a, "wamid.a", T0, confirm=True)
    await box.delivered(b, "wamid.b", T0, confirm=True)
    assert _sent_rows(await rows(db, outbox)) == [("a", "wamid.a"), ("b", "wamid.b")]
    assert await box.pending() == 0  # nothing left to send ...
    assert await box.claim(T0 + timedelta(hours=1), 10, timedelta(seconds=30)) == []  # ... or to claim
    recorded = await box.log_status("whatsapp", "wamid.a", "delivered", T0)
    assert recorded == StatusRecorded("p1", due_again=False, changed=1)
    assert _sent_rows(await rows(db, outbox)) == [("b", "wamid.b")]
    # A status for a row already settled, or for a message never kept, only goes into the log.
    again = await box.log_status("whatsapp", "wamid.a", "read", T0)
    assert (again.due_again, again.changed) == (False, 0)
    assert await box.forget_unconfirmed(T0) == 0
    assert await box.forget_unconfirmed(T0 + timedelta(seconds=1)) == 1
    assert await rows(db, outbox) == []
    log = sorted(await rows(db, delivery_log), key=lambda r: r["id"])
    states = [(r["platform_message_id"], r["state"]) for r in log]
    assert states == [("wamid.a", "sent"), ("wamid.b", "sent"), ("wamid.a", "delivered"), ("wamid.a", "read")]


async def test_outbox_late_refusals_send_the_row_again_another_way(db: Database) -> None:
    box = Outbox(db)
    keys = ("window", "passing", "refused")
    await box.enqueue([OutboxItem(k, "whatsapp", "sealed", "{}", T0, "p1") for k in keys], T0)
    for row in await box.claim(T0, 10, timedelta(seconds=30)):
        await box.delivered(row, "wamid." + row.idempotency_key, T0, confirm=True)
    later = T0 + timedelta(seconds=3)
    window = await box.log_status("whatsapp", "wamid.window", "failed", later, 131047,
                                  then=AfterStatus.VIA_TEMPLATE)
    passing = await box.log_status("whatsapp", "wamid.passing", "failed", later, 131000,
                                   then=AfterStatus.RESEND)
    refused = await box.log_status("whatsapp", "wamid.refused", "failed", later, 131026,
                                   then=AfterStatus.FAILED)
    assert (window.due_again, passing.due_again, refused.due_again) == (True, True, False)
    # Meta redelivers a status webhook: the second copy changes nothing.
    assert (await box.log_status("whatsapp", "wamid.window", "failed", later, 131047,
                                 then=AfterStatus.VIA_TEMPLATE)).due_again is False
    (first,) = await box.claim(later, 10, timedelta(seconds=30))
    assert (first.idempotency_key, first.via_template, first.attempts) == ("window", True, 2)
    (second,) = await box.claim(later + RESEND_AFTER, 10, timedelta(seconds=30))
    assert (second.idempotency_key, second.via_template) == ("passing", False)
    (failed,) = [r for r in await rows(db, outbox) if r["idempotency_key"] == "refused"]
    assert (failed["status"], failed["address_enc"]) == ("failed", "")


async def test_outbox_released_rows_follow_the_reply_in_the_flush(db: Database) -> None:
    box = Outbox(db)
    await box.enqueue([OutboxItem("prompt", "whatsapp", "sealed", "{}", T0, "p1", BULK),
                       OutboxItem("other", "whatsapp", "sealed", "{}", T0, "p2", BULK)], T0)
    prompt, other = await box.claim(T0, 10, timedelta(seconds=30))
    await box.hold(prompt, T0 + timedelta(hours=6), "outside the window")
    await box.hold(other, T0 + timedelta(hours=6), "outside the window")
    (held,) = await box.claim(T0 + timedelta(hours=6), 1, timedelta(seconds=30), pseudonym="p1")
    assert held.via_template  # a held row is looked at again, only as its template
    await box.hold(held, T0 + timedelta(hours=12), "outside the window")
    later = T0 + timedelta(hours=7)
    assert await box.release_held("p1", later) == 1
    await box.enqueue([OutboxItem("reply", "whatsapp", "sealed", "{}", later, "p1")], later)
    # No worker takes the released row before the reply's flush ...
    assert await box.claim(later, 10, timedelta(seconds=30), channel="telegram") == []
    assert [r.idempotency_key for r in await box.claim(later, 10, timedelta(seconds=30), pseudonym="p1",
                                                       max_priority=BULK - 1, keys=["nothing"])] == []
    # ... which takes both: the reply first, the released message after it, as free-form.
    flushed = await box.claim(later, 10, timedelta(seconds=30), keys=["reply"], released_for="p1")
    assert [(r.idempotency_key, r.via_template) for r in flushed] == [("reply", False), ("prompt", False)]
    # Without a flush, a released row is due a little later all the same; p2 stays held.
    assert await box.release_held("p1", later) == 0
    await box.hold(flushed[1], later, "outside the window")
    assert await box.release_held("p1", later) == 1
    assert await box.claim(later, 10, timedelta(seconds=30), pseudonym="p1") == []
    (again,) = await box.claim(later + RELEASE_GRACE, 10, timedelta(seconds=30), pseudonym="p1")
    assert again.idempotency_key == "prompt"


async def test_outbox_concurrent_claims_never_share_a_row(db: Database) -> None:
    box = Outbox(db)
    await box.enqueue([OutboxItem(f"k{i}", "telegram", "a", "{}", T0, f"p{i}") for i in range(60)], T0)

    async def worker() -> list[int]:
        got: list[int] = []
        while rows := await box.claim(T0, 7, timedelta(seconds=30)):
            got += [r.id for r in rows]
        return got

    results = await asyncio.gather(*(worker() for _ in range(4)))
    all_ids = [i for r in results for i in r]
    assert len(all_ids) == 60 and len(set(all_ids)) == 60


async def test_drop_pending_for_participant(db: Database) -> None:
    box = Outbox(db)
    await box.enqueue(
        [OutboxItem("x1", "telegram", "a", "{}", T0, "p1"), OutboxItem("x2", "telegram", "a", "{}", T0, "p2")],
        T0,
    )
    assert await box.drop_pending("p1") == 1
    assert [r.pseudonym for r in await box.claim(T0, 10, timedelta(seconds=1))] == ["p2"]
