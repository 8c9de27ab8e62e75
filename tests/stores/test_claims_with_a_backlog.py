"""Claiming from the inbox and the outbox stays cheap while a burst's backlog waits.

After a burst, tens of thousands of messages wait; every claim must take the next few
from the front, not walk the whole table (PostgreSQL did, for ``id IN (subquery)``, and
then spent 250 ms compiling that plan with its JIT, for every claim of a busy service).
Measured on the real statements as the stores send them: the plan PostgreSQL runs for
them, with the pages it had to read.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text

from bot.stores.sql import Database, Inbox, Outbox
from bot.stores.sql.sweeper import VACUUM_AFTER

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BACKLOG = 20_000
#: Pages a claim of one row may read: the front of an index and a few heap pages, with
#: room to spare. Walking the backlog reads thousands (3,775 for this one before).
FEW_PAGES = 200


async def _explain_claim(db: Database, claim: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    """Run ``claim`` once, catch the UPDATE it sent, and EXPLAIN ANALYZE that statement."""
    sent: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("WITH") or " UPDATE " in f" {statement.upper()} ":
            sent.append((statement, parameters))

    engine = db._engine.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", catch)
    try:
        await claim()
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    (statement, parameters), *_ = [s for s in sent if "UPDATE" in s[0].upper()]

    def explain(conn: Any) -> dict[str, Any]:
        sql = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement
        raw = conn.exec_driver_sql(sql, parameters).scalar_one()
        conn.rollback()  # EXPLAIN ANALYZE ran the UPDATE: undo it
        return (json.loads(raw) if isinstance(raw, str) else raw)[0]

    async with db._engine.connect() as conn:  # type: ignore[union-attr]
        return await conn.run_sync(explain)


async def _inbox_backlog(db: Database) -> None:
    """:data:`BACKLOG` waiting messages of 5,000 people, as a burst leaves them."""
    await db.run(lambda conn: conn.execute(text(
        "INSERT INTO inbox (idempotency_key, pseudonym, channel, sealed, received_at, attempts, status)"
        " SELECT md5(g::text), 'p' || (g % 5000), 'whatsapp', repeat('x', 400), :at, 0, 'pending'"
        " FROM generate_series(1, :n) g"), {"at": NOW, "n": BACKLOG}))


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


def _assert_no_scan_no_jit(result: dict[str, Any], table: str) -> None:
    scans = [n for n in _nodes(result["Plan"]) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table]
    assert scans == [], f"the claim scanned the whole {table}"
    assert "JIT" not in result, "PostgreSQL compiled the claim with its JIT"


def _pages(result: dict[str, Any]) -> int:
    plan = result["Plan"]
    return int(plan["Shared Hit Blocks"] + plan.get("Shared Read Blocks", 0))


async def test_an_inbox_claim_takes_the_front_of_a_backlog_without_reading_it_all(postgres_url: str) -> None:
    db = await Database.open(postgres_url)
    try:
        await _inbox_backlog(db)
        inbox = Inbox(db)
        result = await _explain_claim(db, lambda: inbox.claim(NOW, 1, timedelta(seconds=60)))
        assert result["Plan"]["Actual Rows"] == 1  # it did take one
        _assert_no_scan_no_jit(result, "inbox")
        assert _pages(result) < FEW_PAGES
    finally:
        await db.close()


async def test_an_outbox_claim_takes_the_front_of_a_backlog_without_reading_it_all(postgres_url: str) -> None:
    db = await Database.open(postgres_url)
    try:
        await db.run(lambda conn: conn.execute(text(
            "INSERT INTO outbox (idempotency_key, pseudonym, channel, address_enc, payload, priority,"
            " status, due_at, attempts, created_at, via_template)"
            " SELECT md5(g::text), 'p' || (g % 5000), 'whatsapp', 'sealed', '{}', 1, 'pending', :at, 0, :at,"
            " false FROM generate_series(1, :n) g"), {"at": NOW, "n": BACKLOG}))
        outbox = Outbox(db)
        result = await _explain_claim(db, lambda: outbox.claim(NOW, 1, timedelta(seconds=60), channel="whatsapp"))
        assert result["Plan"]["Actual Rows"] == 1
        # Not the front only: the due rows of both kinds (waiting, and leases run out) are
        # sorted together, a few hundred pages for this backlog. The outbox empties at the
        # number's rate, so its backlog stays far smaller than the inbox's after a burst.
        _assert_no_scan_no_jit(result, "outbox")
    finally:
        await db.close()


async def test_the_inbox_is_vacuumed_as_a_backlog_is_worked_off(postgres_url: str) -> None:
    """Every handled row leaves dead versions at the front of the queue (its lease, its
    delete); Praatmee vacuums them away itself, as often as they pile up, whether or not
    the server's autovacuum comes by (off on some servers; once a minute at best)."""
    db = await Database.open(postgres_url)
    try:
        await _inbox_backlog(db)
        inbox = Inbox(db)
        handled = 0
        while handled < BACKLOG // 2:  # half the backlog handled, 64 at a time
            claimed = await inbox.claim(NOW, 64, timedelta(seconds=60))
            await inbox.done([row.id for row in claimed])
            handled += len(claimed)
            # Vacuums run beside the work; waiting for each keeps this test about when the
            # store asks for one, not about how fast a loaded machine runs them.
            await db.swept()
        # A vacuum reports itself when it ends; n_dead_tup is no measure here: backends
        # flush their counts at most once a second, so it lags (19,287 read back once,
        # after vacuums that had left almost none).
        vacuums = await db.run(lambda conn: conn.execute(text(
            "SELECT vacuum_count + autovacuum_count FROM pg_stat_user_tables"
            " WHERE relname = 'inbox'")).scalar_one())
        # Two dead versions per handled row, 20,000 in all: swept as they came, in several
        # rounds (one at a time). This server's autovacuum is off (elsewhere it may come
        # once a minute), so without the sweeper this reads 0.
        assert VACUUM_AFTER <= 2_500
        assert vacuums >= 4
        assert await inbox.counts() == {"pending": BACKLOG - handled, "dead": 0}
    finally:
        await db.close()
