"""Kill the service half-way a fan-out, twice; after each restart it resumes and every
member ends up with exactly one copy of the prompt. Time is the service clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.stores.sql.tables import answers, outbox
from bot.stores.sql.tables_groups import group_prompts, prompt_recipients
from tests.groups.harness import (
    PROMPT_MARK,
    Person,
    ServiceClock,
    no_violations,
    restarted,
    serving,
    until,
)
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_updates import User

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # Wednesday 11:00 in Velsen
MEMBERS = 100


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.mark.parametrize("backend", ["embedded", "redis-pg"])
async def test_a_fan_out_killed_twice_still_reaches_everyone_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = ServiceClock(T0, frozen=True)
    async with FakeTelegram(enforce_limits=True, chat_burst=1) as fake:
        people: list[Person] = []
        async with serving(backend, tmp_path, request, clock, fake) as line:
            group_id, payload = await line.create_group("Sportmaatjes")
            people = [Person(line, User(id=8_500_000_000 + i, language_code="nl")) for i in range(MEMBERS)]
            for p in people:
                await p.start(payload)
            await line.settled()
            coach = Person(line, User(id=8_600_000_001))
            await coach.reply_after(coach.say(await line.invite(group_id)))
            await coach.reply_after(coach.say("/peiling"))
            await coach.reply_after(coach.say("Wat mis je in de sporthal?"))
            await coach.reply_after(coach.press("Open vraag"))
            assert f"Op tijd: {MEMBERS}" in await coach.reply_after(coach.press("Nu"))

            # The fan-out dies inside its third batch of 20 (the task is cancelled mid-transaction).
            desk = line.service.groups
            assert desk is not None
            desk.fanout.batch = 20
            batches = 0

            def crash() -> None:
                nonlocal batches
                batches += 1
                if batches == 2:
                    task = asyncio.current_task()
                    assert task is not None
                    task.cancel()
            desk.fanout.on_batch = crash
            await coach.reply_after(coach.press("Versturen"))
            await until(lambda: _const(batches == 2), "two fan-out batches")
            await line.settled()
            (prompt,) = await line.rows(group_prompts)
            assert prompt["status"] == "queued" and len(await line.rows(prompt_recipients)) == 40

        # Restart: the fan-out resumes after its cursor. The clock moves one second, so only
        # part of the spread-out copies is due; then the service is dropped again.
        async with restarted(line):
            async def queued_all() -> bool:
                return len(await line.rows(prompt_recipients)) == MEMBERS
            await until(queued_all, "the fan-out to resume")
            clock.advance(timedelta(seconds=1))
            assert line.service.worker is not None
            line.service.worker.wake()
            await line.settled()
            pending = [r for r in await line.rows(outbox) if r["status"] == "pending"]
            assert 0 < len(pending) < MEMBERS - 40

        async with restarted(line):
            clock.advance(timedelta(minutes=1))
            assert line.service.worker is not None
            line.service.worker.wake()
            await line.settled()
            assert await line.rows(outbox) == []
            copies = [sum(t.startswith(PROMPT_MARK) for t in line.texts(p.chat_id)) for p in people]
            assert copies == [1] * MEMBERS
            (prompt,) = await line.rows(group_prompts)
            assert (prompt["status"], prompt["now_count"], prompt["later_count"]) == ("sent", MEMBERS, 0)

            # An open answer is stored anonymised, tagged with prompt and group.
            ava = people[7]
            message = next(m for m in fake.sent_to(ava.chat_id) if str(m["text"]).startswith(PROMPT_MARK))
            assert "Typ je antwoord" in await ava.reply_after(ava.press("✍️ Antwoorden", message))
            await ava.reply_after(ava.say("nieuwe ballen en netten, mijn nummer is 0612345678"))
            (answer,) = await line.rows(answers)
            assert (answer["prompt_id"], answer["group_id"], answer["step_type"]) == (
                prompt["prompt_id"], group_id, "open_text")
            assert "0612345678" not in answer["text"] and "nieuwe ballen en netten" in answer["text"]
    no_violations(fake)


async def _const(value: bool) -> bool:
    return value
