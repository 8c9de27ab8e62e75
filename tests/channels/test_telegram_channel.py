"""The Telegram adapter against the Bot API stand-in, with a recording sink.

Telegram (the stand-in) delivers updates to our aiohttp route exactly as it
would in production; what reaches the runtime is what the sink recorded.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import error as tg

from bot.channels.base import DeliveryStatus
from bot.channels.telegram import TelegramChannel, TelegramSettings
from bot.errors import (
    BadRequest,
    ConfigError,
    Forbidden,
    RetryAfter,
    StoreUnavailable,
    TransientError,
)
from bot.messages import Choice, ChoiceStyle, Expect, InboundKind, InboundMessage, OutboundMessage
from tests.support.fake_telegram import FakeTelegram, WebhookSender
from tests.support.telegram_updates import Chat, User

SAM = User(id=5101, language_code="nl-BE")
SECRET = "praatmee_webhook-secret_42"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta ``retry_after``; the int form warns (PTB 22.2)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@dataclass
class RecordingSink:
    """A tracking fake of our InboundSink seam; can fail the next N accepts."""

    fail_next: int = 0
    accepted: list[InboundMessage] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)

    async def accept(self, message: InboundMessage) -> list[OutboundMessage]:
        self.attempts.append(message.message_id)
        if self.fail_next:
            self.fail_next -= 1
            raise StoreUnavailable("state store down")
        self.accepted.append(message)
        return []

    async def status(self, update: DeliveryStatus) -> None:
        self.statuses.append(update)


@dataclass
class Harness:
    fake: FakeTelegram
    sink: RecordingSink
    channel: TelegramChannel
    url: str
    sender: WebhookSender

    async def deliver(self, update: dict[str, Any]) -> int:
        update_id = self.fake.enqueue(update)
        assert await self.sender.flush() == [update_id]
        return update_id


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.add_chat(Chat.private(SAM))
        yield server


@pytest.fixture
async def harness(fake: FakeTelegram) -> AsyncIterator[Harness]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/telegram"
    settings = TelegramSettings(token=fake.token, mode="webhook", webhook_url=url, secret=SECRET,
                                api_base_url=fake.base_url)
    sink = RecordingSink()
    channel = TelegramChannel(settings, sink)
    app = web.Application()
    app.add_routes(channel.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    async with channel:
        yield Harness(fake, sink, channel, url, WebhookSender(fake, max_attempts=2))
    await runner.cleanup()


# -- start-up --------------------------------------------------------------------------------
async def test_initialize_registers_commands_and_webhook(harness: Harness) -> None:
    fake = harness.fake
    assert fake.calls[0].method == "getme"
    for language in ("", "nl", "en"):
        commands = fake.commands[("default", language)]
        assert [c["command"] for c in commands] == [
            "start", "stop", "help", "privacy", "vergeetmij", "taal"]
    assert fake.commands[("default", "nl")][0]["description"] == "Begin met praten"
    assert fake.webhook is not None
    assert (fake.webhook.url, fake.webhook.secret) == (harness.url, SECRET)
    assert fake.webhook.allowed_updates == [
        "message", "edited_message", "callback_query", "my_chat_member"]
    assert harness.channel.health() == {"status": "ok", "mode": "webhook"}


async def test_shutdown_is_safe_after_a_refused_token(fake: FakeTelegram) -> None:
    settings = TelegramSettings(token="999:not-ours", mode="polling",
                                api_base_url=fake.base_url)
    channel = TelegramChannel(settings, RecordingSink())
    with pytest.raises(TransientError, match="PRAATMEE_TELEGRAM_TOKEN"):
        async with channel:
            pass
    await channel.shutdown()


# -- the webhook -----------------------------------------------------------------------------
@pytest.mark.parametrize("secret", ["praatmee_webhook-secret_43", "", None])
async def test_forged_or_missing_secret_is_refused(harness: Harness, secret: str | None) -> None:
    harness.fake.enqueue(harness.fake.updates.text(SAM, "hoi"))
    update = harness.fake._pending[0].update
    assert await harness.sender.post(update, secret=secret) == 403
    assert harness.sink.attempts == []


async def test_malformed_json_is_a_400(harness: Harness) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as session:
        for body in (b"{not json", b"[1, 2]"):
            async with session.post(harness.url, data=body, headers=headers) as response:
                assert response.status == 400
    assert harness.sink.attempts == []


def _fixture(fake: FakeTelegram, name: str) -> dict[str, Any]:
    build = fake.updates
    return {
        "text": lambda: build.text(SAM, "ff checken 😅 idk wat ik moet zeggen"),
        "start_payload": lambda: build.start(SAM, "utrecht-jeugd_2"),
        "start": lambda: build.start(SAM),
        "start_typed": lambda: build.start(SAM, "hallo daar!"),
        "stop": lambda: build.text(SAM, "/stop"),
        "photo": lambda: build.photo(SAM, caption="mijn adres staat hierop"),
        "voice": lambda: build.voice(SAM),
        "sticker": lambda: build.sticker(SAM),
        "document": lambda: build.document(SAM),
        "video": lambda: build.video(SAM),
        "location": lambda: build.location(SAM),
        "contact": lambda: build.contact(SAM),
        "edited": lambda: build.edited_text(SAM, 1, "nieuw antwoord"),
        "blocked": lambda: build.my_chat_member(SAM, Chat.private(SAM), "member", "kicked"),
        "unblocked": lambda: build.my_chat_member(SAM, Chat.private(SAM), "kicked", "member"),
    }[name]()


@pytest.mark.parametrize(
    ("name", "kind", "text", "payload"),
    [
        ("text", InboundKind.TEXT, "ff checken 😅 idk wat ik moet zeggen", None),
        ("start_payload", InboundKind.START, None, "utrecht-jeugd_2"),
        ("start", InboundKind.START, None, None),
        ("start_typed", InboundKind.START, None, None),
        ("stop", InboundKind.TEXT, "/stop", None),
        ("photo", InboundKind.UNSUPPORTED, None, None),
        ("voice", InboundKind.UNSUPPORTED, None, None),
        ("sticker", InboundKind.UNSUPPORTED, None, None),
        ("document", InboundKind.UNSUPPORTED, None, None),
        ("video", InboundKind.UNSUPPORTED, None, None),
        ("location", InboundKind.UNSUPPORTED, None, None),
        ("contact", InboundKind.UNSUPPORTED, None, None),
        ("edited", InboundKind.EDITED, None, None),
        ("blocked", InboundKind.BLOCKED, None, None),
        ("unblocked", InboundKind.UNBLOCKED, None, None),
    ],
)
async def test_private_updates_become_inbound_messages(
    harness: Harness, name: str, kind: InboundKind, text: str | None, payload: str | None
) -> None:
    update_id = await harness.deliver(_fixture(harness.fake, name))
    [message] = harness.sink.accepted
    assert message.kind is kind
    assert (message.text, message.start_payload) == (text, payload)
    assert message.message_id == f"tg-update-{update_id}"
    assert (message.channel, message.channel_user_id, message.address) == (
        "telegram", str(SAM.id), str(SAM.id))
    assert message.language_hint == "nl"
    assert "612345678" not in repr(message) and "52.09" not in repr(message)
    assert "adres" not in repr(message)
    assert harness.fake.calls_to("getFile") == []


async def test_failed_accept_is_a_500_and_comes_back(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.sink.fail_next = 1
    caplog.set_level(logging.DEBUG)
    update_id = await harness.deliver(harness.fake.updates.text(SAM, "mijn geheim is 0612"))
    assert [a.status for a in harness.sender.attempts] == [500, 200]
    assert harness.sink.attempts == [f"tg-update-{update_id}"] * 2
    assert len(harness.sink.accepted) == 1
    assert "geheim" not in caplog.text and "0612" not in caplog.text
    assert str(SAM.id) not in caplog.text


# -- buttons ---------------------------------------------------------------------------------
QUESTION = OutboundMessage(
    "Hoe vind je het jongerencentrum?",
    choices=(Choice("q1_good", "Goed 👍"), Choice("q1_ok", "Gaat wel"),
             Choice("q1_bad", "Slecht 👎")),
    expect=Expect.CHOICE,
)


def _keyboard(message: dict[str, Any]) -> list[list[tuple[str, str]]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [[(b["text"], b["callback_data"]) for b in row] for row in rows]


async def test_press_is_answered_accepted_and_closes_the_keyboard(harness: Harness) -> None:
    fake = harness.fake
    receipt = await harness.channel.send(str(SAM.id), QUESTION)
    message_id = int(receipt.platform_message_id or 0)
    assert _keyboard(fake.sent_to(SAM.id)[0]) == [
        [("Goed 👍", "c:q1_good")], [("Gaat wel", "c:q1_ok")], [("Slecht 👎", "c:q1_bad")]]
    update_id = fake.press(SAM, SAM.id, message_id, "c:q1_ok")
    query_id = next(iter(fake.open_queries))
    await harness.sender.flush()
    [choice] = harness.sink.accepted
    assert (choice.kind, choice.choice_ids, choice.reply_to) == (
        InboundKind.CHOICE, ("q1_ok",), str(message_id))
    assert choice.message_id == f"tg-update-{update_id}"
    assert fake.answered_queries == [query_id]
    shown = fake.sent_to(SAM.id)[0]
    assert shown["text"] == "Hoe vind je het jongerencentrum?\n\n✔ Gaat wel"
    assert "reply_markup" not in shown
    # The old button, pressed again, no longer answers: still acknowledged.
    fake.press(SAM, SAM.id, message_id, "c:q1_bad")
    await harness.sender.flush()
    assert len(harness.sink.accepted) == 1 and len(fake.answered_queries) == 2


async def test_forged_callback_data_is_answered_not_accepted(harness: Harness) -> None:
    receipt = await harness.channel.send(str(SAM.id), QUESTION)
    harness.fake.press(SAM, SAM.id, int(receipt.platform_message_id or 0), "c:admin")
    await harness.sender.flush()
    assert harness.sink.accepted == []
    assert len(harness.fake.answered_queries) == 1
    assert "reply_markup" in harness.fake.sent_to(SAM.id)[0]


async def test_multi_choice_toggles_in_place_then_one_choice(harness: Harness) -> None:
    fake = harness.fake
    question = OutboundMessage(
        "Wat doe je in je vrije tijd? Kies wat past.",
        choices=(Choice("sport", "Sport"), Choice("game", "Gamen"), Choice("muziek", "Muziek")),
        expect=Expect.MULTI_CHOICE)
    message_id = int((await harness.channel.send(str(SAM.id), question)).platform_message_id
                     or 0)
    fake.press(SAM, SAM.id, message_id, "d")
    await harness.sender.flush()
    assert fake.calls_to("answerCallbackQuery")[-1].params["text"].startswith("Kies eerst")
    for data in ("t:sport", "t:muziek", "t:game", "T:game"):
        fake.press(SAM, SAM.id, message_id, data)
        await harness.sender.flush()
    assert harness.sink.accepted == []
    assert _keyboard(fake.sent_to(SAM.id)[0]) == [
        [("✓ Sport", "T:sport")], [("Gamen", "t:game")], [("✓ Muziek", "T:muziek")],
        [("Klaar ✅", "d")]]
    fake.press(SAM, SAM.id, message_id, "d")
    await harness.sender.flush()
    [choice] = harness.sink.accepted
    assert choice.choice_ids == ("sport", "muziek")
    assert fake.sent_to(SAM.id)[0]["text"].endswith("✔ Sport, Muziek")
    assert len(fake.answered_queries) == 6


async def test_long_lists_are_paged_in_the_adapter(harness: Harness) -> None:
    fake = harness.fake
    choices = tuple(Choice(f"wijk_{i:02d}", f"Wijk {i}") for i in range(1, 13))
    question = OutboundMessage("In welke wijk woon je?", choices=choices, expect=Expect.CHOICE)
    message_id = int((await harness.channel.send(str(SAM.id), question)).platform_message_id
                     or 0)
    first = _keyboard(fake.sent_to(SAM.id)[0])
    assert [row[0][0] for row in first[:8]] == [f"Wijk {i}" for i in range(1, 9)]
    assert first[8] == [("▶", "p:1")]
    fake.press(SAM, SAM.id, message_id, "p:1")
    await harness.sender.flush()
    second = _keyboard(fake.sent_to(SAM.id)[0])
    assert [row[0][0] for row in second[:4]] == [f"Wijk {i}" for i in range(9, 13)]
    assert second[4] == [("◀", "p:0")]
    assert harness.sink.accepted == []
    fake.press(SAM, SAM.id, message_id, "c:wijk_11")
    await harness.sender.flush()
    assert [m.choice_ids for m in harness.sink.accepted] == [("wijk_11",)]
    assert len(fake.answered_queries) == 2


# -- groups ----------------------------------------------------------------------------------
async def test_groups_get_one_note_and_are_never_stored(harness: Harness) -> None:
    fake = harness.fake
    group = Chat(id=-4001, type="group")
    supergroup = Chat(id=-1002003, type="supergroup")
    await harness.deliver(fake.updates.text(SAM, "hallo allemaal", chat=group))
    await harness.deliver(fake.updates.edited_text(SAM, 1, "hallo!", chat=group))
    assert fake.calls_to("sendMessage") == []
    await harness.deliver(fake.updates.my_chat_member(SAM, group, "left", "member"))
    await harness.deliver(fake.updates.start(SAM, chat=supergroup))
    await harness.deliver(fake.updates.my_chat_member(SAM, supergroup, "member",
                                                      "administrator"))
    notes = fake.calls_to("sendMessage")
    assert [n.params["chat_id"] for n in notes] == [group.id, supergroup.id]
    assert all("https://t.me/praatmee_bot" in n.params["text"] for n in notes)
    assert all("privé" in n.params["text"] for n in notes)
    assert harness.sink.attempts == []


# -- sending ---------------------------------------------------------------------------------
async def test_long_text_is_split_on_sentences_with_the_keyboard_last(harness: Harness) -> None:
    text = " ".join(f"Dit is zin nummer {i} van een lange uitleg." for i in range(250))
    message = OutboundMessage(text, choices=QUESTION.choices, expect=Expect.CHOICE)
    receipt = await harness.channel.send(str(SAM.id), message)
    sent = harness.fake.sent_to(SAM.id)
    assert len(sent) == 3 and all(len(m["text"]) <= 4096 for m in sent)
    assert all(m["text"].endswith(".") for m in sent)
    assert " ".join(m["text"] for m in sent) == text
    assert ["reply_markup" in m for m in sent] == [False, False, True]
    assert receipt.platform_message_id == str(sent[-1]["message_id"])


async def test_scale_on_one_row_and_ids_fit_64_bytes(harness: Harness) -> None:
    scale = OutboundMessage("Hoe blij ben je? 1 = niet, 5 = heel", expect=Expect.CHOICE,
                            choices=tuple(Choice("x" * 31 + str(i), str(i)) for i in range(1, 6)),
                            style=ChoiceStyle.SCALE)
    await harness.channel.send(str(SAM.id), scale)
    [row] = _keyboard(harness.fake.sent_to(SAM.id)[0])
    assert [label for label, _ in row] == ["1", "2", "3", "4", "5"]
    assert all(len(data.encode()) <= 64 for _, data in row)


@pytest.mark.parametrize(
    ("kind", "options", "error"),
    [
        ("flood", {"retry_after": 12}, RetryAfter),
        ("blocked", {}, Forbidden),
        ("server_error", {"status": 502}, TransientError),
    ],
)
async def test_send_errors_are_mapped(harness: Harness, kind: str, options: dict[str, int],
                                      error: type[Exception]) -> None:
    harness.fake.fail(kind, method="sendMessage", **options)
    with pytest.raises(error) as caught:
        await harness.channel.send(str(SAM.id), QUESTION)
    assert isinstance(caught.value.__cause__, tg.TelegramError)
    if isinstance(caught.value, RetryAfter):
        assert caught.value.retry_after == timedelta(seconds=12)
        assert not caught.value.per_recipient


async def test_refused_payload_and_bad_address_are_bad_requests(harness: Harness) -> None:
    with pytest.raises(BadRequest):
        await harness.channel.send("777", QUESTION)  # a chat that never wrote to us
    with pytest.raises(BadRequest):
        await harness.channel.send("@iemand", QUESTION)


async def test_stand_in_flood_limit_reaches_the_caller_as_retry_after(
    harness: Harness,
) -> None:
    harness.fake.enforce_limits = True
    plain = OutboundMessage("hoi")
    with pytest.raises(RetryAfter) as caught:
        for _ in range(10):
            await harness.channel.send(str(SAM.id), plain)
    assert caught.value.retry_after >= timedelta(seconds=1)
    assert harness.fake.violations["chat"] == 1


# -- polling ---------------------------------------------------------------------------------
async def _until(condition: Any, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


async def test_polling_loses_nothing_when_accept_raises_once(fake: FakeTelegram) -> None:
    fake.webhook = None
    settings = TelegramSettings(token=fake.token, mode="polling", api_base_url=fake.base_url,
                                poll_timeout=1, poll_retry_delay=0.01)
    sink = RecordingSink(fail_next=1)
    ids = [fake.enqueue(fake.updates.text(SAM, f"antwoord {i}")) for i in range(3)]
    async with TelegramChannel(settings, sink) as channel:
        assert channel.health() == {"status": "ok", "mode": "polling"}
        await _until(lambda: len(sink.accepted) == 3)
        late = fake.enqueue(fake.updates.text(SAM, "nog eentje"))
        await _until(lambda: len(sink.accepted) == 4)
        await _until(lambda: fake.pending_update_ids == [])
    assert [m.text for m in sink.accepted] == [f"antwoord {i}" for i in range(3)] + [
        "nog eentje"]
    assert sink.attempts[:2] == [f"tg-update-{ids[0]}"] * 2
    assert [m.message_id for m in sink.accepted][-1] == f"tg-update-{late}"
    assert fake.calls_to("deleteWebhook")
    assert channel.health()["status"] == "down"


async def test_polling_unconfirmed_updates_come_back_after_a_restart(
    fake: FakeTelegram,
) -> None:
    settings = TelegramSettings(token=fake.token, mode="polling", api_base_url=fake.base_url,
                                poll_timeout=1, poll_retry_delay=0.01)
    sink = RecordingSink(fail_next=1_000)
    update_id = fake.enqueue(fake.updates.text(SAM, "belangrijk"))
    async with TelegramChannel(settings, sink):
        await _until(lambda: len(sink.attempts) >= 2)
    assert fake.pending_update_ids == [update_id]
    sink.fail_next = 0
    async with TelegramChannel(settings, sink):
        await _until(lambda: len(sink.accepted) == 1)
    assert sink.accepted[0].message_id == f"tg-update-{update_id}"


# -- settings --------------------------------------------------------------------------------
def test_settings_refuse_unsafe_webhooks_and_hide_secrets() -> None:
    with pytest.raises(ConfigError, match="PRAATMEE_TELEGRAM_WEBHOOK_URL"):
        TelegramSettings(token="1:a", webhook_url="http://praatmee.example/webhooks/telegram",
                         secret="s")
    with pytest.raises(ConfigError, match="PRAATMEE_TELEGRAM_SECRET"):
        TelegramSettings(token="1:a", webhook_url="https://praatmee.example/hook",
                         secret="geen spaties")
    with pytest.raises(ConfigError, match="PRAATMEE_TELEGRAM_MODE"):
        TelegramSettings(token="1:a", mode="push")  # type: ignore[arg-type]
    local = TelegramSettings(token="1:abc", webhook_url="http://127.0.0.1:8080/webhooks/telegram",
                             secret="s3cret", api_base_url="http://127.0.0.1:8081/bot")
    assert "abc" not in repr(local) and "s3cret" not in repr(local)
