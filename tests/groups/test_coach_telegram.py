"""A coach runs a flash poll for a 500-member group from Telegram alone.

Members join through the group's deep link, the coach registers with a one-time
invite code and composes the poll with commands and buttons; the poll fans out
through the outbox and the one Telegram sender against the Bot API stand-in,
which enforces Telegram's flood limits (no violations allowed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.stores.sql.tables import answers, participants, topics
from bot.stores.sql.tables_groups import coaches, group_members, group_prompts
from tests.groups.harness import PROMPT_MARK, Person, ServiceClock, no_violations, serving, until
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_updates import User

#: A Wednesday, 11:00 in Velsen: outside quiet hours.
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REFUSAL = "Deze opdracht is alleen voor coaches"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def _prompt_message(person: Person) -> dict[str, object]:
    found = [m for m in person.line.fake.sent_to(person.chat_id) if str(m["text"]).startswith(PROMPT_MARK)]
    assert len(found) == 1, f"{len(found)} prompts in chat {person.chat_id}"
    return found[0]


@pytest.mark.parametrize(("backend", "size"), [("embedded", 500), ("redis-pg", 60)])
async def test_a_coach_polls_the_group_and_sees_only_safe_aggregates(
    backend: str, size: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = ServiceClock(T0, frozen=False)
    async with FakeTelegram(enforce_limits=True, chat_burst=1) as fake:
        async with serving(backend, tmp_path, request, clock, fake) as line:
            group_id, payload = await line.create_group("Jongerenraad Velsen")
            members = [Person(line, User(id=8_100_000_000 + i, first_name=f"Lid{i}", language_code="nl"))
                       for i in range(size)]
            for m in members:
                await m.start(payload)
            await line.settled()
            first = line.texts(members[0].chat_id)
            assert len(first) == 1 and "Je doet nu mee met de groep Jongerenraad Velsen" in first[0]
            assert len(await line.rows(group_members)) == size

            # Someone who was never invited gets a polite refusal for every coach command, nothing else.
            eve = Person(line, User(id=8_200_000_001, first_name="Eve"))
            for command in ("/peiling", "/resultaten", "/groepen", "/uitnodiging"):
                assert (await eve.reply_after(eve.say(command))).startswith(REFUSAL)
            assert await line.rows(coaches) == [] and await line.rows(group_prompts) == []

            # The coach registers with a one-time code (typed in lower case, with spaces).
            coach = Person(line, User(id=8_300_000_001, first_name="Coach"))
            code = await line.invite(group_id)
            welcome = await coach.reply_after(coach.say(code.lower().replace("-", " ")))
            assert "Welkom, coach van Jongerenraad Velsen" in welcome
            thief = Person(line, User(id=8_300_000_002))
            assert "werkt niet" in await thief.reply_after(thief.say(code))

            # Compose: question, three answers, done, now, a preview with counts, send.
            assert "Wat wil je vragen" in await coach.reply_after(coach.say("/peiling"))
            await coach.reply_after(coach.say("Waar wil jij deze zomer heen?"))
            for option in ("Strand", "Skatepark", "Bios"):
                await coach.reply_after(coach.say(option))
            assert await coach.reply_after(coach.press("Klaar")) == "Wanneer versturen?"
            preview = await coach.reply_after(coach.press("Nu"))
            assert f"Op tijd: {size} · later (rustregels): 0 · niet (te vaak gevraagd): 0" in preview
            assert "• Strand\n• Skatepark\n• Bios" in preview
            assert f"Verstuurd! {size} leden" in await coach.reply_after(coach.press("Versturen"))

            async def everyone_has_it() -> bool:
                return all(any(t.startswith(PROMPT_MARK) for t in line.texts(m.chat_id)) for m in members)
            await until(everyone_has_it, "the prompt to reach every member", timeout=size / 20 + 30)
            await line.settled()
            for m in members:
                message = _prompt_message(m)  # exactly one copy each
                assert "Waar wil jij deze zomer heen?" in str(message["text"])
                assert list(m.buttons(message)) == ["Strand", "Skatepark", "Bios", "Groep verlaten"]
            (prompt,) = await line.rows(group_prompts)
            assert (prompt["status"], prompt["now_count"], prompt["never_count"]) == ("sent", size, 0)

            # Twelve answer: 7 Strand, 3 Skatepark, 2 Bios.
            picks = ["Strand"] * 7 + ["Skatepark"] * 3 + ["Bios"] * 2
            for m, label in zip(members, picks, strict=False):
                assert (await m.reply_after(m.press(label, _prompt_message(m)))).startswith("Dank je!")
            stored = await line.rows(answers)
            assert len(stored) == 12
            assert {(r["prompt_id"], r["group_id"], r["municipality"], r["domain"]) for r in stored} == {
                (prompt["prompt_id"], group_id, "velsen", "jeugd")}
            assert sorted(json.loads(r["option_ids"])[0] for r in stored) == ["o0"] * 7 + ["o1"] * 3 + ["o2"] * 2

            results = await coach.reply_after(coach.say("/resultaten"))
            assert f"Antwoorden: 12 van {size}" in results
            assert "• Strand: 7" in results
            assert "• Skatepark: minder dan 5" in results and "• Bios: minder dan 5" in results
            assert "Lid" not in results and str(members[0].chat_id) not in results

            # A member raises a topic: it reaches the officials' topics with the group, and the
            # coach gets a notice without who or what.
            raiser = members[-1]
            start_menu = line.fake.sent_to(raiser.chat_id)[0]
            await raiser.reply_after(raiser.press("Iets aankaarten", start_menu))
            await raiser.reply_after(raiser.say("er is te weinig te doen voor jongeren in ijmuiden"))
            (topic,) = await line.rows(topics)
            assert topic["group_id"] == group_id

            async def coach_told() -> bool:
                return any("bracht een eigen onderwerp in" in t for t in line.texts(coach.chat_id))
            await until(coach_told, "the coach's topic notice")
            notice = next(t for t in line.texts(coach.chat_id) if "eigen onderwerp" in t)
            assert "Deze week: 1" in notice and "ijmuiden" not in notice

            # Leaving takes one tap on the prompt.
            leaver = members[20]
            left = await leaver.reply_after(leaver.press("Groep verlaten", _prompt_message(leaver)))
            assert left.startswith("Je zit niet meer in de groep Jongerenraad Velsen")
            assert len(await line.rows(group_members)) == size - 1
            assert len(await line.rows(participants)) == size  # the coach and Eve are no participants
            await line.settled()
        no_violations(fake)
