"""Telegram end to end: the Bot API stand-in, python-telegram-bot and the real Service.

Updates travel as Telegram sends them: queued in the stand-in, then POSTed to
``/webhooks/telegram`` by its webhook sender (or fetched with getUpdates in
polling mode). Replies leave through the runtime's outbox, the one Telegram
sender and PTB. The stand-in enforces Telegram's flood limits (1 message/s per
chat, 30/s overall) and every test ends with zero violations recorded.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import Table

from bot.config import DEFAULT_DIALOGUES
from bot.dialogue.catalog import Catalog
from bot.dialogue.model import Dialogue, StepType
from bot.service import Service
from bot.stores.sql.tables import answers, delivery_log, outbox, participants
from tests.support.fake_telegram import Call, FakeTelegram, WebhookSender
from tests.support.service import settings_for
from tests.support.tables import all_rows, rows
from tests.support.telegram_updates import Chat, User
from tests.support.walk import Walk, step_of

JSON = dict[str, Any]
BACKENDS = ["embedded", "redis-pg"]
SECRET = "praatmee_e2e-secret_7"
DIALOGUE: Dialogue = Catalog.load([DEFAULT_DIALOGUES]).dialogues["vrije-tijd-buurt"]
PHONE, EMAIL = "06-12345678", "jayden.bakker@gmail.com"
OPEN = f"ff eerlijk: bel me op {PHONE} of mail {EMAIL}, de bus naar school rijdt nooit op tijd 😤"
#: Long enough for a 429's retry_after and a few 1-second per-chat gaps, short enough to fail.
SETTLE_TIMEOUT = 30.0


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta ``retry_after``; the int form warns (PTB 22.2)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def _until(check: Callable[[], Awaitable[bool]], what: str,
                 timeout: float = SETTLE_TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Line:
    """The running system: stand-in, Praatmee service and (webhook mode) Telegram's sender."""

    fake: FakeTelegram
    service: Service
    webhook: WebhookSender | None

    async def send(self, update: JSON) -> int:
        """Queue an update at "Telegram", let it reach Praatmee, wait for every reply."""
        return await self.processed(self.fake.enqueue(update))

    async def processed(self, update_id: int) -> int:
        if self.webhook is not None:
            assert await self.webhook.flush() == [update_id]
        else:  # polling confirms an update (next offset) only after Praatmee accepted it
            async def confirmed() -> bool:
                return update_id not in self.fake.pending_update_ids
            await _until(confirmed, f"getUpdates to confirm update {update_id}")
        await self.settled()
        return update_id

    async def settled(self) -> None:
        """Wait until the outbox is empty: every reply delivered or given up."""
        async def empty() -> bool:
            return await self.service.outbox.pending() == 0
        await _until(empty, "the outbox to drain")

    async def rows(self, table: Table) -> list[Any]:
        assert self.service.db is not None
        return await rows(self.service.db, table)

    async def dump(self) -> str:
        """Everything stored, SQL and state store, as one string (for leak checks)."""
        assert self.service.db is not None and self.service.state is not None
        parts = []
        for table_rows in (await all_rows(self.service.db)).values():
            parts.append(str(table_rows))
        for key in await self.service.state.keys(""):
            parts.append(f"{key}={await self.service.state.get(key)}")
        return "\n".join(parts)

    def sends(self, chat_id: int) -> list[Call]:
        """Every sendMessage the stand-in received for ``chat_id``, refused ones included."""
        return [c for c in self.fake.calls
                if c.method == "sendmessage" and c.params.get("chat_id") == chat_id]

    def delivered_texts(self, chat_id: int) -> list[str]:
        return [c.params["text"] for c in self.sends(chat_id) if c.status == 200]


@dataclass
class Participant:
    """One Telegram user in a private chat with the bot."""

    line: Line
    user: User
    presses: int = 0
    last_text_message_id: int = 0

    @property
    def chat_id(self) -> int:
        return self.user.id

    @property
    def last(self) -> JSON:
        """The bot's newest message in this chat, as it looks now."""
        messages = self.line.fake.sent_to(self.chat_id)
        assert messages, "the bot has not written in this chat"
        return messages[-1]

    def buttons(self, message: JSON | None = None) -> list[str]:
        markup = (message or self.last).get("reply_markup") or {}
        return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, suffix: str) -> str:
        for data in self.buttons():
            if data.endswith(("." + suffix, ":" + suffix)):
                return data
        raise AssertionError(f"no button {suffix!r} in {self.buttons()}")

    async def start(self, payload: str | None = None) -> int:
        return await self.line.send(self.line.fake.updates.start(self.user, payload))

    async def say(self, text: str) -> int:
        update = self.line.fake.updates.text(self.user, text)
        self.last_text_message_id = update["message"]["message_id"]
        return await self.line.send(update)

    async def press(self, data: str, message: JSON | None = None) -> int:
        message = message or self.last
        self.presses += 1
        update_id = self.line.fake.press(self.user, self.chat_id, message["message_id"], data)
        return await self.line.processed(update_id)


async def walk(p: Participant, dialogue: Dialogue, open_text: str) -> Walk:
    """Answer every question with buttons the bot showed (first option, highest scale
    value, first two toggles then done), a number and ``open_text``, until the menu."""
    result = Walk()
    for _ in range(40):
        message, data = p.last, p.buttons()
        if "c:_topic" in data:  # the closing offers the menu
            result.completed = True
            return result
        step = step_of(dialogue, message["text"])
        assert step is not None, f"unknown bot message: {message['text']!r}"
        real = [d for d in data if not d.endswith("._skip")]
        if step.type is StepType.CONSENT:
            await p.press(p.button("yes"))
        elif step.type is StepType.MULTIPLE_CHOICE:
            toggles = [d for d in real if d.startswith("t:")][:2]
            for toggle in toggles:
                await p.press(toggle)
            assert p.buttons(message) == p.buttons()  # toggling edits in place, no new message
            await p.press("d")
            result.answers[step.id] = [d.split(".", 1)[1] for d in toggles]
        elif step.type in (StepType.SINGLE_CHOICE, StepType.YES_NO, StepType.SCALE):
            pick = real[-1] if step.type is StepType.SCALE else real[0]
            await p.press(pick)
            result.answers[step.id] = [pick.split(".", 1)[1]]
        elif step.type is StepType.NUMBER:
            assert step.min is not None and not data
            result.answers[step.id] = float(int(step.min) + 1)
            await p.say(str(int(step.min) + 1))
        elif step.type is StepType.OPEN_TEXT:
            result.answers[step.id] = open_text
            await p.say(open_text)
        else:
            raise AssertionError(f"message step waiting for input: {step.id}")
    raise AssertionError("dialogue did not end within 40 turns")


@asynccontextmanager
async def serving(backend: str, tmp_path: Path, request: pytest.FixtureRequest, *,
                  mode: str = "webhook") -> AsyncIterator[Line]:
    """The stand-in enforcing Telegram's limits, and Praatmee on its own port talking to it."""
    async with FakeTelegram(enforce_limits=True, chat_burst=1) as fake:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/telegram"
        settings = settings_for(
            backend, tmp_path, request, telegram_token=fake.token, telegram_mode=mode,
            telegram_webhook_url=url if mode == "webhook" else None,
            telegram_secret=SECRET if mode == "webhook" else None,
            telegram_api_base_url=fake.base_url)
        service = Service(settings)
        runner = web.AppRunner(service.app(), access_log=None)
        await runner.setup()  # opens the service: getMe, setMyCommands, setWebhook
        try:
            await web.SockSite(runner, sock).start()
            line = Line(fake, service, WebhookSender(fake, max_attempts=2) if mode == "webhook"
                        else None)
            yield line
            await line.settled()
        finally:
            await runner.cleanup()
        assert fake.violations == Counter(), "Praatmee broke Telegram's flood limits"


def _check_stored(rows: list[Any], result: Walk) -> None:
    stored = {r["step_id"]: r for r in rows}
    assert set(stored) == set(result.answers)
    for step_id, expected in result.answers.items():
        row = stored[step_id]
        assert (row["municipality"], row["dialogue_id"]) == ("velsen", DIALOGUE.id)
        if isinstance(expected, list):
            assert json.loads(row["option_ids"]) == expected, step_id
        elif isinstance(expected, float):
            assert row["number"] == expected
        else:
            assert PHONE not in row["text"] and EMAIL not in row["text"]
            assert "[TELEFOON]" in row["text"] and "[E-MAIL]" in row["text"]
            assert "de bus naar school rijdt nooit op tijd" in row["text"]


def _check_replies_once(line: Line, p: Participant) -> None:
    texts = line.delivered_texts(p.chat_id)
    sends = line.sends(p.chat_id)
    assert texts and all(c.status == 200 for c in sends), [
        (c.status, round(c.at - sends[i - 1].at, 3), c.params["text"][:15])
        for i, c in enumerate(sends) if c.status != 200]
    assert [t for t, n in Counter(texts).items() if n > 1] == []
    assert line.fake.open_queries == {}  # every press answered, no spinner left
    assert len(line.fake.answered_queries) == p.presses


# -- the whole path ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
async def test_deep_link_then_buttons_and_free_text_through_the_webhook(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with serving(backend, tmp_path, request) as line:
        fake = line.fake
        assert fake.webhook is not None and fake.webhook.secret == SECRET
        sam = Participant(line, User(id=7_000_000_001, first_name="Sam", language_code="nl"))
        await sam.start("velsen--vrije-tijd-buurt")
        assert sam.last["text"].startswith("Hoi! De gemeente wil weten")
        result = await walk(sam, DIALOGUE, OPEN)
        assert result.completed and "Top, dank je wel!" in sam.last["text"]

        _check_stored(await line.rows(answers), result)
        (person,) = await line.rows(participants)
        assert person["channel"] == "telegram" and person["municipality"] == "velsen"
        assert str(sam.user.id) not in person["pseudonym"]
        _check_replies_once(line, sam)
        # One outbox row per bubble, each delivered once and logged once.
        sent = [r for r in await line.rows(delivery_log) if r["state"] == "sent"]
        assert len(sent) == len(line.delivered_texts(sam.chat_id))
        # Every question answered with buttons lost its keyboard and shows the answer instead.
        answered = [m for m in fake.sent_to(sam.chat_id) if "\n\n✔ " in m["text"]]
        assert all("reply_markup" not in m for m in answered)
        by_button = [v for v in result.answers.values() if isinstance(v, list)]
        assert len(answered) == 1 + len(by_button)  # the consent, then each choice question
        assert any(m["text"].endswith("✔ Sportclub") for m in answered)

        # An old button pressed again: a friendly note, nothing stored, no message.
        first_question = next(c for c in line.sends(sam.chat_id)
                              if c.params["text"].startswith("Waar ben je het vaakst"))
        old = first_question.params["reply_markup"]["inline_keyboard"][1][0]["callback_data"]
        question = next(m for m in answered if m["text"].startswith("Waar ben je het vaakst"))
        before = len(line.sends(sam.chat_id))
        await sam.press(old, question)
        assert fake.calls_to("answerCallbackQuery")[-1].params["text"] == "Deze knop werkt niet meer."
        assert len(line.sends(sam.chat_id)) == before

        # Editing the free-text answer leaves the stored one as it was, and says so.
        edit = fake.updates.edited_text(sam.user, sam.last_text_message_id, "laat maar, niks")
        await line.send(edit)
        assert sam.last["text"].startswith("Je hebt een bericht aangepast")
        _check_stored(await line.rows(answers), result)
        dump = await line.dump()
        assert PHONE not in dump and EMAIL not in dump and "laat maar" not in dump


async def test_polling_mode_walks_the_same_dialogue(tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    async with serving("embedded", tmp_path, request, mode="polling") as line:
        assert line.fake.webhook is None
        ok, health = await line.service.health()
        assert ok and health["channels"]["telegram"] == {"status": "ok", "mode": "polling"}
        ava = Participant(line, User(id=7_000_000_002, first_name="Ava", language_code="nl"))
        await ava.start("velsen--vrije-tijd-buurt")
        result = await walk(ava, DIALOGUE, OPEN)
        assert result.completed
        _check_stored(await line.rows(answers), result)
        _check_replies_once(line, ava)
        assert line.fake.calls_to("getUpdates")


# -- the webhook's guard and de-duplication ------------------------------------------------------
async def test_forged_or_missing_secret_is_refused_and_nothing_stored(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with serving("embedded", tmp_path, request) as line:
        assert line.webhook is not None
        mallory = User(id=7_000_000_003)
        line.fake.add_chat(Chat.private(mallory))
        update = {**line.fake.updates.start(mallory, "velsen--vrije-tijd-buurt"),
                  "update_id": 900_000_001}
        assert await line.webhook.post(update, secret="praatmee_e2e-secret_8") == 403
        assert await line.webhook.post(update, secret=None) == 403
        assert await line.webhook.post(update, secret="") == 403
        await line.settled()
        assert line.sends(mallory.id) == []
        assert await line.service.state.keys("") == []  # type: ignore[union-attr]
        assert await line.rows(participants) == [] and await line.rows(outbox) == []
        # The same update with the right secret is taken.
        assert await line.webhook.post(update) == 200
        await line.settled()
        assert len(line.delivered_texts(mallory.id)) == 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_same_update_twice_counts_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with serving(backend, tmp_path, request) as line:
        assert line.webhook is not None
        noor = Participant(line, User(id=7_000_000_004, first_name="Noor"))
        await noor.start("velsen--vrije-tijd-buurt")
        await noor.press(noor.button("yes"))
        question = noor.last
        body = line.fake.updates.callback_query(noor.user, question, noor.button("park"))
        update_id = line.fake.enqueue(body)
        update = {**body, "update_id": update_id}
        # Telegram retries when it did not see our 200 in time: the same update, three times.
        assert await line.webhook.post(update) == 200
        assert await line.webhook.post(update) == 200
        assert await line.webhook.flush() == [update_id]
        await line.settled()
        (row,) = await line.rows(answers)
        assert (row["step_id"], json.loads(row["option_ids"])) == ("plek", ["park"])
        texts = line.delivered_texts(noor.chat_id)
        assert sum(t.startswith("Hoe leuk is jouw buurt") for t in texts) == 1
        assert len(texts) == 3  # consent, first question, second question


# -- sending under Telegram's limits and errors ------------------------------------------------
async def test_a_burst_of_429s_is_survived_and_each_message_arrives_once(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with serving("embedded", tmp_path, request) as line:
        fake = line.fake
        people = [Participant(line, User(id=7_000_000_100 + i)) for i in range(6)]

        async def everyone(updates: list[JSON]) -> None:
            ids = [fake.enqueue(u) for u in updates]
            assert line.webhook is not None and await line.webhook.flush() == ids
            await line.settled()

        floods = fake.fail("flood", method="sendMessage", times=4, retry_after=1)
        await everyone([fake.updates.start(p.user, "velsen--vrije-tijd-buurt") for p in people])
        assert floods.times == 0
        floods = fake.fail("flood", method="sendMessage", times=5, retry_after=1)
        presses = []
        for p in people:
            p.presses += 1
            presses.append(fake.updates.callback_query(p.user, p.last, p.button("yes")))
        await everyone(presses)
        assert floods.times == 0
        assert sum(c.status == 429 for c in fake.calls if c.method == "sendmessage") == 9
        for p in people:
            texts = line.delivered_texts(p.chat_id)
            assert [t[:20] for t in texts] == ["Hoi! De gemeente wil", "Waar ben je het vaak"]
        assert await line.rows(outbox) == []
        assert len(await line.rows(delivery_log)) == 2 * len(people)


async def test_a_participant_who_blocked_the_bot_is_unreachable_and_not_retried(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with serving("embedded", tmp_path, request) as line:
        fake = line.fake
        lisa = Participant(line, User(id=7_000_000_005, first_name="Lisa"))
        await lisa.start("velsen--vrije-tijd-buurt")
        fake.fail("blocked", method="sendMessage", chat_id=lisa.chat_id, times=None)
        await lisa.press(lisa.button("yes"))  # the reply meets "bot was blocked by the user"
        (person,) = await line.rows(participants)
        assert person["unreachable"] and not person["active"]
        (failed,) = await line.rows(outbox)
        assert failed["status"] == "failed" and failed["address_enc"] == ""
        attempts = len(line.sends(lisa.chat_id))
        await asyncio.sleep(2.5)  # the worker keeps running; nothing is tried again
        assert len(line.sends(lisa.chat_id)) == attempts == 2
        assert [c.status for c in line.sends(lisa.chat_id)] == [200, 403]
        # Telegram's own report of the block is taken quietly.
        blocked = fake.updates.my_chat_member(lisa.user, Chat.private(lisa.user), "member",
                                              "kicked", bot=fake.bot)
        await line.send(blocked)
        assert len(line.sends(lisa.chat_id)) == attempts


# -- what else people send -----------------------------------------------------------------------
async def test_an_unknown_deep_link_code_gets_a_clear_answer(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    codes = ["utrecht", "velsen--bestaat-niet", "heemskerk--", "--", "x" * 64]
    async with serving("embedded", tmp_path, request) as line:
        people = [Participant(line, User(id=7_000_000_200 + i)) for i in range(len(codes))]
        for p, code in zip(people, codes, strict=True):
            await p.start(code)
        for p in people:
            assert p.last["text"].startswith("Deze link ken ik niet.")
            assert "kies hieronder je gemeente" in p.last["text"]
            labels = [b["text"] for row in p.last["reply_markup"]["inline_keyboard"] for b in row]
            assert {"Beverwijk", "Heemskerk", "Velsen"} <= set(labels)
        await people[0].press(people[0].button("velsen"))
        assert "Waar wil je over praten" in people[0].last["text"]


async def test_a_group_gets_one_private_chat_note_and_nothing_is_stored(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with serving("embedded", tmp_path, request) as line:
        fake = line.fake
        group = Chat(id=-1_001_234_567_890, type="supergroup", title="Klas 3b")
        fake.add_chat(group)
        tim = User(id=7_000_000_007, first_name="Tim")
        await line.send(fake.updates.text(tim, "/start@praatmee_bot velsen", group))
        for text in ("wie doet mee?", "bel me 0612345678", "/help"):
            await line.send(fake.updates.text(tim, text, group))
        await line.send(fake.updates.photo(tim, "kijk", group))
        (note,) = line.delivered_texts(group.id)
        assert "alleen in een privé-chat" in note and "https://t.me/praatmee_bot" in note
        assert line.sends(tim.id) == []
        assert await line.service.state.keys("") == []  # type: ignore[union-attr]
        for table in (participants, answers, outbox, delivery_log):
            assert await line.rows(table) == [], table.name


async def test_media_gets_a_text_only_reply_and_nothing_of_it_is_kept(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    kinds = ["photo", "voice", "sticker", "document", "video", "location", "contact"]
    async with serving("embedded", tmp_path, request) as line:
        fake = line.fake
        people = [Participant(line, User(id=7_000_000_300 + i)) for i in range(len(kinds))]
        for p in people:
            fake.enqueue(fake.updates.start(p.user, "velsen--vrije-tijd-buurt"))
        assert line.webhook is not None and len(await line.webhook.flush()) == len(people)
        for p, kind in zip(people, kinds, strict=True):
            fake.enqueue(fake.updates.photo(p.user, caption=f"dit ben ik, bel {PHONE}")
                         if kind == "photo" else getattr(fake.updates, kind)(p.user))
        assert len(await line.webhook.flush()) == len(people)
        await line.settled()
        for p in people:
            assert p.last["text"].startswith("Ik kan alleen tekst lezen.")
            assert p.last["text"].endswith("Doe je mee?")  # the open question comes again
            assert p.button("yes") and p.button("no")
            assert len(line.delivered_texts(p.chat_id)) == 2
        assert not fake.calls_to("getFile")
        dump = await line.dump()
        assert PHONE not in dump and "+31612345678" not in dump and "52.0907" not in dump
        assert await line.rows(answers) == []
