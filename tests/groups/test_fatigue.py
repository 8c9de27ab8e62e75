"""The fatigue policy, pure and through the fan-out on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.groups import (
    Fanout,
    FatiguePolicy,
    GroupStore,
    PastPrompt,
    Prompt,
    PromptStatus,
    Verdict,
    decide,
)
from bot.groups.codes import new_prompt_id
from bot.stores.sql import AddressBook, Database, InsightStore
from bot.stores.sql.tables import outbox

AMS = ZoneInfo("Europe/Amsterdam")
MON = datetime(2026, 11, 23, 11, 0, tzinfo=AMS)  # Monday 11:00 Dutch time
POLICY = FatiguePolicy()


def _had(at: datetime) -> PastPrompt:
    return PastPrompt(at, at + POLICY.open_for)


def test_the_third_prompt_in_a_week_waits_for_the_window() -> None:
    friday = MON + timedelta(days=4)
    decision = decide(POLICY, [_had(MON), _had(MON + timedelta(days=2))], friday)
    assert decision.verdict is Verdict.LATER
    assert decision.at == MON + timedelta(days=7)  # next Monday 11:00, when Monday's drops out
    assert decide(POLICY, [_had(MON)], friday).verdict is Verdict.NOW  # one this week: fine


def test_beyond_the_longest_delay_a_prompt_is_not_sent_at_all() -> None:
    tight = FatiguePolicy(max_delay=timedelta(days=1))
    decision = decide(tight, [_had(MON), _had(MON + timedelta(days=2))], MON + timedelta(days=4))
    assert decision.verdict is Verdict.NEVER and decision.at is None


@pytest.mark.parametrize(("local", "expected"), [
    ((22, 30), (1, 9, 0)), ((3, 0), (0, 9, 0)), ((8, 59), (0, 9, 0)), ((9, 0), (0, 9, 0)), ((20, 59), (0, 20, 59)),
])
def test_quiet_hours_move_a_prompt_to_nine_in_the_morning(local: tuple[int, int], expected: tuple[int, int, int]) -> None:
    at = MON.replace(hour=local[0], minute=local[1])
    decision = decide(POLICY, [], at)
    day, hour, minute = expected
    assert decision.at == (MON + timedelta(days=day)).replace(hour=hour, minute=minute)
    assert decision.verdict is (Verdict.NOW if decision.at == at else Verdict.LATER)


def test_quiet_hours_follow_dutch_time_across_the_clock_change() -> None:
    # 26 Oct 2026, after summer time ended: 20:30 UTC is 21:30 in Amsterdam.
    at = datetime(2026, 10, 26, 20, 30, tzinfo=UTC)
    assert decide(POLICY, [], at).at == datetime(2026, 10, 27, 9, 0, tzinfo=AMS)


def test_gap_and_never_two_open_prompts_at_once() -> None:
    yesterday = MON - timedelta(hours=20)
    assert decide(POLICY, [_had(yesterday)], MON).at == yesterday + timedelta(hours=48)
    # Answered early, the old prompt no longer counts as open, but the gap still holds.
    answered = PastPrompt(yesterday, yesterday + timedelta(hours=1))
    assert decide(POLICY, [answered], MON).at == yesterday + POLICY.min_gap
    # A prompt planned tomorrow blocks today too (never two open at once, gap both ways).
    assert decide(POLICY, [_had(MON + timedelta(days=1))], MON).verdict is not Verdict.NOW


# --- through the fan-out -------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path}/g.sqlite" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = await Database.open(url)
    yield database
    await database.close()


async def _prompt(store: GroupStore, group_id: str, at: datetime) -> Prompt:
    prompt = Prompt(new_prompt_id(), group_id, "c" * 64, "velsen", "jeugd", "Hoe gaat het?", ("goed", "slecht"),
                    PromptStatus.QUEUED, at, at)
    await store.add_prompt(prompt)
    return prompt


async def _due(db: Database, prompt: Prompt) -> dict[str, datetime]:
    from sqlalchemy import select

    from bot.groups.store import recipient_key
    rows = await db.run(lambda conn: conn.execute(
        select(outbox.c.idempotency_key, outbox.c.pseudonym, outbox.c.due_at)).all())
    return {r.pseudonym: r.due_at for r in rows if r.idempotency_key == recipient_key(prompt.prompt_id, r.pseudonym)}


async def test_members_who_had_two_prompts_this_week_get_the_third_later(db: Database) -> None:
    store, insights, book = GroupStore(db), InsightStore(db), AddressBook(db)
    busy = await store.create_group("velsen", "jeugd", "Voetbal", MON)
    quiet = await store.create_group("velsen", "jeugd", "Muziek", MON)
    people = [f"{i:064x}" for i in range(12)]
    for i, p in enumerate(people):
        await insights.enrol(p, "telegram", "velsen", "nl", MON - timedelta(days=30))
        await book.put(p, "telegram", f"sealed-{i}", MON)
        await store.join(quiet.group_id, p, MON)
        if i < 5:
            await store.join(busy.group_id, p, MON)
    fanout = Fanout(store, POLICY, rates={"telegram": 30.0})
    for day in (0, 2):  # Monday and Wednesday: two prompts for the five in both groups
        first = await _prompt(store, busy.group_id, MON + timedelta(days=day))
        assert (await fanout.run(first.prompt_id, MON + timedelta(days=day))).done
    friday = MON + timedelta(days=4)
    preview = await fanout.preview(quiet, friday)
    assert (preview.now, preview.later, preview.never) == (7, 5, 0)
    third = await _prompt(store, quiet.group_id, friday)
    report = await fanout.run(third.prompt_id, friday)
    assert report.done and report.queued == 12
    due = await _due(db, third)
    assert sorted(p for p in due if due[p] >= MON + timedelta(days=7)) == people[:5]
    assert all(friday <= due[p] < friday + timedelta(seconds=5) for p in people[5:])
    saved = await store.prompt(third.prompt_id)
    assert saved is not None and (saved.status, saved.now_count, saved.later_count) == ("sent", 7, 5)
    # Running it again queues nobody twice.
    assert (await fanout.run(third.prompt_id, friday)).queued == 0


async def test_a_prompt_sent_late_in_the_evening_arrives_at_nine(db: Database) -> None:
    store, insights, book = GroupStore(db), InsightStore(db), AddressBook(db)
    group = await store.create_group("velsen", "jeugd", "Avond", MON)
    for i in range(3):
        p = f"{i + 100:064x}"
        await insights.enrol(p, "telegram", "velsen", "nl", MON)
        await book.put(p, "telegram", "sealed", MON)
        await store.join(group.group_id, p, MON)
    evening = MON.replace(hour=22, minute=30)
    prompt = await _prompt(store, group.group_id, evening)
    assert (await Fanout(store, POLICY).preview(group, evening)).later == 3
    await Fanout(store, POLICY).run(prompt.prompt_id, evening)
    nine = (MON + timedelta(days=1)).replace(hour=9, minute=0)
    assert all(nine <= d < nine + timedelta(seconds=2) for d in (await _due(db, prompt)).values())
