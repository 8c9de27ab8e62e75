"""The Bot API stand-in, checked with python-telegram-bot's real ``Bot``.

If these pass, PTB talks to the stand-in as it talks to api.telegram.org:
same routes, same error statuses, the documented limits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from tests.support.fake_telegram import FakeTelegram, WebhookSender
from tests.support.telegram_updates import Chat, UpdateBuilder, User

SAM = User(id=4242, language_code="nl")
ALI = User(id=4343, language_code="en")


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta ``retry_after``; the int form warns (PTB 22.2)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url) as client:
        yield client


async def test_get_me_on_initialize(bot: Bot, fake: FakeTelegram) -> None:
    assert bot.username == "praatmee_bot"
    assert [c.method for c in fake.calls] == ["getme"]


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=fake.base_url):
            pass
    assert fake.calls[-1].status == 401


async def test_send_message_returns_real_messages(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match="[Cc]hat not found"):
        await bot.send_message(SAM.id, "hoi")
    fake.add_chat(Chat.private(SAM))
    fake.add_chat(Chat(id=-100123, type="supergroup"))
    first = await bot.send_message(SAM.id, "hoi")
    second = await bot.send_message(SAM.id, "hoe gaat het?")
    in_group = await bot.send_message(-100123, "hallo groep")
    assert (first.message_id, second.message_id, in_group.message_id) == (1, 2, 1)
    assert first.chat.type == "private" and in_group.chat.type == "supergroup"
    assert first.from_user is not None and first.from_user.is_bot
    assert first.date.year >= 2025


async def test_text_length_limits(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(Chat.private(SAM))
    await bot.send_message(SAM.id, "é" * 4096)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(SAM.id, "a" * 4097)


async def test_callback_data_is_counted_in_bytes(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(Chat.private(SAM))
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(SAM.id, "kies", reply_markup=fits)
    # 33 characters but 66 bytes in UTF-8
    too_big = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(SAM.id, "kies", reply_markup=too_big)


async def test_identical_edit_is_not_modified(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(Chat.private(SAM))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ja", callback_data="c:ja")]])
    sent = await bot.send_message(SAM.id, "vraag", reply_markup=markup)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("vraag", chat_id=SAM.id, message_id=sent.message_id,
                                    reply_markup=markup)
    edited = await bot.edit_message_text("vraag\n\n✔ ja", chat_id=SAM.id,
                                         message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.reply_markup is None
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(chat_id=SAM.id, message_id=sent.message_id)
    assert fake.sent_to(SAM.id)[0]["text"] == "vraag\n\n✔ ja"


async def test_answer_callback_query_rules(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(Chat.private(SAM))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ja", callback_data="c:ja")]])
    sent = await bot.send_message(SAM.id, "vraag", reply_markup=markup)
    fake.press(SAM, SAM.id, sent.message_id, "c:ja")
    query_id = next(iter(fake.open_queries))
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="Dank je")
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query(query_id)
    assert fake.answered_queries == [query_id]


async def test_commands_are_validated_and_kept_per_language(bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Start", "Begin")])
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand(f"c{i}", "x") for i in range(101)])
    await bot.set_my_commands([BotCommand("start", "Begin")], language_code="nl")
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    assert [c.description for c in await bot.get_my_commands(language_code="nl")] == ["Begin"]
    assert await bot.get_my_commands() == ()
    await bot.delete_my_commands(language_code="nl")
    assert await bot.get_my_commands(language_code="nl") == ()


@pytest.mark.parametrize(
    ("kind", "options", "error"),
    [
        ("blocked", {}, Forbidden),
        ("server_error", {"status": 502}, NetworkError),
        ("too_old", {}, BadRequest),
    ],
)
async def test_injected_faults_map_to_ptb_errors(
    bot: Bot, fake: FakeTelegram, kind: str, options: dict[str, int], error: type[Exception]
) -> None:
    fake.add_chat(Chat.private(SAM))
    fake.fail(kind, method="sendMessage", chat_id=SAM.id, **options)
    with pytest.raises(error):
        await bot.send_message(SAM.id, "hoi")
    await bot.send_message(SAM.id, "hoi")  # the fault was for one call only


async def test_flood_fault_raises_retry_after_with_seconds(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(Chat.private(SAM))
    fake.fail("flood", chat_id=SAM.id, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(SAM.id, "hoi")
    assert caught.value.retry_after == timedelta(seconds=7)
    assert fake.calls[-1].status == 429


async def test_fault_for_one_chat_leaves_others_alone(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(Chat.private(SAM))
    fake.add_chat(Chat.private(ALI))
    fake.fail("blocked", chat_id=SAM.id, times=None)
    await bot.send_message(ALI.id, "hoi")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(SAM.id, "hoi")


async def test_slow_response_times_out(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(Chat.private(SAM))
    fake.fail("slow", method="sendMessage", delay=0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(SAM.id, "hoi", read_timeout=0.1)


async def test_per_chat_limit_allows_a_short_burst_then_429() -> None:
    clock = Clock()
    async with FakeTelegram(enforce_limits=True, chat_burst=3, clock=clock) as fake:
        fake.add_chat(Chat.private(SAM))
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            for _ in range(3):
                await bot.send_message(SAM.id, "hoi")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(SAM.id, "te snel")
            assert caught.value.retry_after == timedelta(seconds=1)
            clock.now += 1.0
            await bot.send_message(SAM.id, "weer goed")
    assert fake.violations == {"chat": 1}


async def test_group_limit_is_20_per_minute() -> None:
    clock = Clock()
    async with FakeTelegram(enforce_limits=True, clock=clock) as fake:
        fake.add_chat(Chat(id=-555, type="group"))
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            for _ in range(20):
                await bot.send_message(-555, "hoi")
                clock.now += 1.0
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(-555, "hoi")
            assert caught.value.retry_after == timedelta(seconds=40)
    assert fake.violations == {"group": 1}


async def test_overall_limit_is_30_per_second() -> None:
    clock = Clock()
    async with FakeTelegram(enforce_limits=True, clock=clock) as fake:
        for user_id in range(1, 32):
            fake.add_chat(Chat(id=user_id))
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            for user_id in range(1, 31):
                await bot.send_message(user_id, "hoi")
            with pytest.raises(RetryAfter):
                await bot.send_message(31, "hoi")
    assert fake.violations == {"overall": 1}


async def test_get_updates_offsets_confirm_and_long_poll(bot: Bot, fake: FakeTelegram) -> None:
    ids = [fake.enqueue(fake.updates.text(SAM, f"bericht {i}")) for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == ids[:2]
    assert first[0].message is not None and first[0].message.text == "bericht 0"
    rest = await bot.get_updates(offset=ids[1] + 1)
    assert [u.update_id for u in rest] == ids[2:]
    poll = asyncio.create_task(bot.get_updates(offset=ids[2] + 1, timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    late = fake.enqueue(fake.updates.text(SAM, "later"))
    assert [u.update_id for u in await asyncio.wait_for(poll, 2)] == [late]


async def test_get_updates_conflicts_with_a_webhook(bot: Bot, fake: FakeTelegram) -> None:
    await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    with pytest.raises(Conflict):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_set_webhook_checks_url_and_secret(bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.set_webhook("http://example.org/hook")
    with pytest.raises(BadRequest):
        await bot.set_webhook("https://example.org/hook", secret_token="geen spaties")


async def test_allowed_updates_and_old_updates_are_dropped(bot: Bot, fake: FakeTelegram) -> None:
    await bot.get_updates(allowed_updates=["message"])
    assert fake.enqueue(fake.updates.edited_text(SAM, 1, "x")) == 0
    fake.enqueue(fake.updates.text(SAM, "oud"), age=25 * 3600)
    kept = fake.enqueue(fake.updates.text(SAM, "nieuw"))
    assert [u.update_id for u in await bot.get_updates()] == [kept]


@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
async def test_bodies_and_method_case(fake: FakeTelegram, encoding: str) -> None:
    fake.add_chat(Chat.private(SAM))
    markup = {"inline_keyboard": [[{"text": "ja", "callback_data": "c:ja"}]]}
    url = f"{fake.base_url}{fake.token}/SendMessage"
    body: dict[str, Any]
    async with aiohttp.ClientSession() as session:
        if encoding == "json":
            body = {"json": {"chat_id": SAM.id, "text": "hoi", "reply_markup": markup}}
        elif encoding == "form":
            body = {"data": {"chat_id": str(SAM.id), "text": "hoi",
                             "reply_markup": json.dumps(markup)}}
        else:
            form = aiohttp.FormData()
            form.add_field("chat_id", str(SAM.id))
            form.add_field("text", "hoi")
            form.add_field("reply_markup", json.dumps(markup))
            form.add_field("photo", b"\x89PNG", filename="x.png")
            body = {"data": form}
        async with session.post(url, **body) as response:
            assert response.status == 200
            result = (await response.json())["result"]
    assert result["reply_markup"] == markup
    assert fake.calls[-1].method == "sendmessage"


async def test_fixtures_parse_as_ptb_updates() -> None:
    build = UpdateBuilder()
    group = Chat(id=-4001, type="group")
    fixtures = {
        "text": build.text(SAM, "hoi"),
        "start": build.start(SAM, "gemeente-utrecht"),
        "photo": build.photo(SAM, caption="kijk"),
        "voice": build.voice(SAM),
        "sticker": build.sticker(SAM),
        "document": build.document(SAM),
        "video": build.video(SAM),
        "location": build.location(SAM),
        "contact": build.contact(SAM),
        "edited": build.edited_text(SAM, 1, "hoi!"),
        "callback": build.callback_query(SAM, build.text(SAM, "q")["message"], "c:1"),
        "kicked": build.my_chat_member(SAM, Chat.private(SAM), "member", "kicked"),
        "member": build.my_chat_member(SAM, Chat.private(SAM), "kicked", "member"),
        "admin": build.my_chat_member(SAM, group, "left", "administrator"),
        "group": build.text(SAM, "hoi", chat=group),
        "supergroup": build.text(SAM, "hoi", chat=Chat(id=-1004, type="supergroup")),
        "channel": build.channel_post(Chat(id=-1005, type="channel"), "nieuws"),
    }
    for number, payload in enumerate(fixtures.values(), start=1):
        update = Update.de_json({**payload, "update_id": number}, None)
        assert update is not None and update.update_id == number
    start = Update.de_json({**fixtures["start"], "update_id": 1}, None)
    assert start.message is not None and start.message.text == "/start gemeente-utrecht"
    kicked = Update.de_json({**fixtures["kicked"], "update_id": 1}, None)
    assert kicked.my_chat_member is not None
    assert kicked.my_chat_member.new_chat_member.status == "kicked"


# -- the webhook sender ----------------------------------------------------------------------
class Receiver:
    """A webhook endpoint whose answers the test scripts."""

    def __init__(self, statuses: list[int], delay: float = 0.0) -> None:
        self.statuses = statuses
        self.delay = delay
        self.seen: list[tuple[int, str | None]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append((body["update_id"],
                          request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        if self.delay and len(self.seen) == 1:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver_url() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver([])
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield receiver, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


async def test_webhook_sends_secret_and_increasing_ids(
    bot: Bot, fake: FakeTelegram, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    await bot.set_webhook(url, secret_token="geheim_1")
    ids = [fake.enqueue(fake.updates.text(SAM, t)) for t in ("a", "b")]
    sender = WebhookSender(fake)
    assert await sender.flush() == ids
    assert receiver.seen == [(ids[0], "geheim_1"), (ids[1], "geheim_1")]
    assert fake.pending_update_ids == []
    extra = fake.enqueue(fake.updates.text(SAM, "c"))
    await sender.post(fake._pending[0].update, secret="vals")
    await sender.post(fake._pending[0].update, secret=None)
    assert receiver.seen[-2:] == [(extra, "vals"), (extra, None)]


async def test_webhook_redelivers_and_holds_back_the_chat(
    bot: Bot, fake: FakeTelegram, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    await bot.set_webhook(url, secret_token="geheim")
    sam_1 = fake.enqueue(fake.updates.text(SAM, "1"))
    sam_2 = fake.enqueue(fake.updates.text(SAM, "2"))
    ali_1 = fake.enqueue(fake.updates.text(ALI, "a"))
    receiver.statuses = [500, 500, 500, 200]  # SAM's first fails on every attempt (3)
    sender = WebhookSender(fake, max_attempts=3)
    assert await sender.flush() == [ali_1]
    assert [seen[0] for seen in receiver.seen] == [sam_1, sam_1, sam_1, ali_1]
    assert fake.pending_update_ids == [sam_1, sam_2]
    assert (await bot.get_webhook_info()).last_error_message
    receiver.statuses = [503]
    assert await sender.flush() == [sam_1, sam_2]
    assert [seen[0] for seen in receiver.seen[4:]] == [sam_1, sam_1, sam_2]


async def test_webhook_redelivers_after_a_slow_answer(
    bot: Bot, fake: FakeTelegram, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.delay = 1.0
    await bot.set_webhook(url, secret_token="geheim")
    update_id = fake.enqueue(fake.updates.text(SAM, "1"))
    sender = WebhookSender(fake, timeout=0.2)
    assert await sender.flush() == [update_id]
    assert [a.status for a in sender.attempts] == [0, 200]


async def test_drop_pending_updates_and_old_ones_are_not_delivered(
    bot: Bot, fake: FakeTelegram, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    fake.enqueue(fake.updates.text(SAM, "voor de webhook"))
    await bot.set_webhook(url, secret_token="geheim", drop_pending_updates=True)
    assert fake.pending_update_ids == []
    fake.enqueue(fake.updates.text(SAM, "te oud"), age=24 * 3600 + 1)
    fresh = fake.enqueue(fake.updates.text(SAM, "vers"))
    assert await WebhookSender(fake).flush() == [fresh]
    assert [seen[0] for seen in receiver.seen] == [fresh]
