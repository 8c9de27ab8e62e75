"""The Telegram adapter's pure parts: reading updates, keyboards, text splitting, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup, Update
from telegram import error as tg

from bot.channels.telegram._errors import translate
from bot.channels.telegram._keyboards import PageMemory, decode, toggled
from bot.channels.telegram._parse import Deliver, GroupNote, Ignore, Press, classify
from bot.channels.telegram._presses import resolve
from bot.channels.telegram._render import render, split_text
from bot.errors import BadRequest, Forbidden, RetryAfter, TransientError
from bot.messages import Choice, ChoiceStyle, Expect, InboundKind, OutboundMessage
from tests.support.telegram_updates import Chat, UpdateBuilder, User

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SAM = User(id=77, language_code=None)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def _update(payload: dict[str, Any], update_id: int = 1) -> Update:
    update = Update.de_json({**payload, "update_id": update_id}, None)
    assert update is not None
    return update


def _classify(payload: dict[str, Any], username: str | None = "praatmee_bot") -> object:
    return classify(_update(payload), received_at=NOW, bot_username=username)


# -- reading updates ---------------------------------------------------------------------------
def test_no_language_code_gives_no_hint_and_received_at_is_ours() -> None:
    event = _classify(UpdateBuilder().text(SAM, "yo"))
    assert isinstance(event, Deliver)
    assert event.message.language_hint is None and event.message.received_at == NOW


@pytest.mark.parametrize(
    ("text", "kind", "payload"),
    [
        ("/start@praatmee_bot abc-1", InboundKind.START, "abc-1"),
        ("/START", InboundKind.START, None),
        ("/start@other_bot abc", InboundKind.TEXT, None),
        ("/starten", InboundKind.TEXT, None),
        ("start", InboundKind.TEXT, None),
        ("/start " + "a" * 65, InboundKind.START, None),
    ],
)
def test_start_commands(text: str, kind: InboundKind, payload: str | None) -> None:
    event = _classify(UpdateBuilder().text(SAM, text))
    assert isinstance(event, Deliver)
    assert (event.message.kind, event.message.start_payload) == (kind, payload)


def test_bots_service_messages_and_channel_posts_are_ignored() -> None:
    build = UpdateBuilder()
    robot = User(id=99, is_bot=True)
    assert isinstance(_classify(build.text(robot, "beep")), Ignore)
    assert isinstance(_classify(build.message(SAM, new_chat_title="x")), Ignore)
    assert isinstance(_classify(build.channel_post(Chat(-100, "channel"), "nieuws")), Ignore)
    channel = Chat(-101, "channel")
    assert isinstance(_classify(build.my_chat_member(SAM, channel, "left", "administrator")),
                      Ignore)


def test_group_events() -> None:
    build = UpdateBuilder()
    group = Chat(-5, "group")
    assert _classify(build.start(SAM, chat=group)) == GroupNote(-5)
    assert _classify(build.text(SAM, "/start@praatmee_bot", chat=group)) == GroupNote(-5)
    assert isinstance(_classify(build.text(SAM, "/start@other_bot", chat=group)), Ignore)
    assert isinstance(_classify(build.my_chat_member(SAM, group, "member", "administrator")),
                      Ignore)  # promoted, not newly added: no second note
    assert isinstance(_classify(build.my_chat_member(SAM, group, "member", "left")), Ignore)
    assert isinstance(_classify(build.photo(SAM, chat=group)), Ignore)
    message = build.text(SAM, "vraag", chat=group)["message"]
    assert isinstance(_classify(build.callback_query(SAM, message, "c:x")), Ignore)


def test_private_membership_without_block_is_ignored() -> None:
    build = UpdateBuilder()
    event = _classify(build.my_chat_member(SAM, Chat.private(SAM), "member", "member"))
    assert isinstance(event, Ignore)


# -- presses -----------------------------------------------------------------------------------
def _bot_message(markup: InlineKeyboardMarkup | None, text: str = "vraag") -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 9, "date": 1_790_000_000, "text": text,
        "chat": {"id": SAM.id, "type": "private", "first_name": "Sam"},
        "from": {"id": 1, "is_bot": True, "first_name": "Praatmee"},
    }
    if markup is not None:
        message["reply_markup"] = markup.to_dict()
    return message


def _press(message: dict[str, Any] | None, data: str) -> Press:
    event = _classify(UpdateBuilder().callback_query(SAM, message, data))
    assert isinstance(event, Press)
    return event


def test_press_on_an_inaccessible_message_is_only_answered() -> None:
    gone = {"message_id": 9, "date": 0, "chat": {"id": SAM.id, "type": "private"}}
    for message in (gone, None):
        outcome = resolve(_press(message, "c:a").query, PageMemory())
        assert outcome.choice_ids == () and outcome.answer_text


def test_closing_a_very_long_question_only_drops_the_keyboard() -> None:
    markup = render(OutboundMessage("x", choices=(Choice("a", "Ja"),))).markup
    outcome = resolve(_press(_bot_message(markup, "v" * 4094), "c:a").query, PageMemory())
    assert outcome.choice_ids == ("a",) and outcome.close and outcome.closed_text is None


def test_paging_after_a_restart_is_answered_with_a_hint() -> None:
    choices = tuple(Choice(f"c{i}", f"Optie {i}") for i in range(10))
    markup = render(OutboundMessage("kies", choices=choices)).markup
    outcome = resolve(_press(_bot_message(markup), "p:1").query, PageMemory())
    assert outcome.markup is None and outcome.answer_text


# -- keyboards and text ------------------------------------------------------------------------
def _rows(markup: InlineKeyboardMarkup | None) -> list[list[str]]:
    assert markup is not None
    return [[str(b.callback_data) for b in row] for row in markup.inline_keyboard]


def test_a_long_scale_is_split_evenly_over_rows() -> None:
    scale = tuple(Choice(str(i), str(i)) for i in range(11))
    rows = _rows(render(OutboundMessage("0-10?", choices=scale,
                                        style=ChoiceStyle.SCALE)).markup)
    assert [len(r) for r in rows] == [6, 5]


def test_many_toggles_go_two_per_row_and_are_never_paged() -> None:
    choices = tuple(Choice(f"c{i}", f"Optie {i}") for i in range(10))
    rendered = render(OutboundMessage("kies", choices=choices, expect=Expect.MULTI_CHOICE))
    rows = _rows(rendered.markup)
    assert [len(r) for r in rows] == [2, 2, 2, 2, 2, 1] and rows[-1] == ["d"]
    assert rendered.paged == ()


def test_toggle_of_a_missing_id_changes_nothing() -> None:
    markup = render(OutboundMessage("k", choices=(Choice("a", "A"),),
                                    expect=Expect.MULTI_CHOICE)).markup
    assert markup is not None and toggled(markup, "zz") is None


@pytest.mark.parametrize("data", [None, "", "c:", "x:1", "p:een", "d:", "T"])
def test_unknown_callback_data(data: str | None) -> None:
    assert decode(data).action == "unknown"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"),
                        min_size=1, max_size=900), min_size=1, max_size=20),
       st.sampled_from([". ", "! ", "\n\n", " ", "", "? "]))
def test_split_text_keeps_every_chunk_within_the_limit(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    chunks = split_text(text, limit=300)
    assert all(0 < len(c) <= 300 for c in chunks)
    squash = "".join(text.split())
    assert "".join("".join(chunks).split()) == squash


def test_split_prefers_sentence_ends() -> None:
    text = "Eerste zin is hier. " * 10 + "Tweede deel! " * 10
    chunks = split_text(text.strip(), limit=120)
    assert all(c.endswith((".", "!")) for c in chunks)


# -- errors ------------------------------------------------------------------------------------
_ERRORS: dict[str, tuple[Any, type[Exception]]] = {
    "429": (lambda: tg.RetryAfter(timedelta(seconds=3)), RetryAfter),
    "403": (lambda: tg.Forbidden("Forbidden: bot was blocked by the user"), Forbidden),
    "400": (lambda: tg.BadRequest("Message is too long"), BadRequest),
    "migrated": (lambda: tg.ChatMigrated(-1001), BadRequest),
    "timeout": (lambda: tg.TimedOut(), TransientError),
    "5xx": (lambda: tg.NetworkError("Bad Gateway"), TransientError),
    "409": (lambda: tg.Conflict("terminated by other getUpdates request"), TransientError),
    "401": (lambda: tg.InvalidToken(), TransientError),
}


@pytest.mark.parametrize("name", list(_ERRORS))
def test_translate(name: str) -> None:
    make, expected = _ERRORS[name]
    translated = translate(make())  # built here: PTB reads PTB_TIMEDELTA when constructing
    assert type(translated) is expected
    if isinstance(translated, RetryAfter):
        assert translated.retry_after == timedelta(seconds=3)


def test_retry_after_works_without_the_timedelta_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA")
    with pytest.warns(Warning):  # PTB's own constructor warns about the int form
        exc = tg.RetryAfter(4)
    translated = translate(exc)
    assert isinstance(translated, RetryAfter)
    assert translated.retry_after == timedelta(seconds=4)
