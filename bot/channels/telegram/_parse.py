"""What one Telegram Update means for Praatmee.

Only private chats reach the runtime. Media, contacts and locations become
UNSUPPORTED without their content (nothing is downloaded, no caption kept).
Groups and channels are never stored: the bot only points to the private chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from telegram import CallbackQuery, ChatMemberUpdated, Message, Update, User

from bot.messages import InboundKind, InboundMessage

__all__ = ["Deliver", "Event", "GroupNote", "Ignore", "Press", "classify", "inbound"]

CHANNEL = "telegram"
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_JOINED = frozenset({"member", "administrator"})
_GONE = frozenset({"left", "kicked"})


@dataclass(frozen=True, slots=True)
class Deliver:
    message: InboundMessage


@dataclass(frozen=True, slots=True)
class Press:
    """A button press in a private chat; resolved against the message's keyboard."""

    query: CallbackQuery
    update_id: int


@dataclass(frozen=True, slots=True)
class GroupNote:
    """Tell a group (once, for this event) that Praatmee works in a private chat."""

    chat_id: int


@dataclass(frozen=True, slots=True)
class Ignore:
    reason: str


Event = Deliver | Press | GroupNote | Ignore


def classify(update: Update, *, received_at: datetime, bot_username: str | None) -> Event:
    if update.callback_query is not None:
        return _press(update)
    if update.my_chat_member is not None:
        return _membership(update, update.my_chat_member, received_at)
    if update.message is not None:
        return _message(update, update.message, received_at, bot_username)
    if update.edited_message is not None:
        edited = update.edited_message
        if edited.chat.type != "private" or edited.from_user is None:
            return Ignore("group edit")
        return Deliver(inbound(update.update_id, edited.from_user, edited.chat.id, received_at,
                               InboundKind.EDITED))
    return Ignore("update type not used")


def inbound(update_id: int, user: User, chat_id: int, received_at: datetime,
            kind: InboundKind, **fields: object) -> InboundMessage:
    """An InboundMessage keyed on the update id, which Telegram redelivers unchanged."""
    language = (user.language_code or "")[:2].lower() or None
    return InboundMessage(
        channel=CHANNEL,
        channel_user_id=str(user.id),
        message_id=f"tg-update-{update_id}",
        received_at=received_at,
        kind=kind,
        address=str(chat_id),
        language_hint=language,
        **fields,  # type: ignore[arg-type]
    )


def _press(update: Update) -> Event:
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is not None and message.chat.type != "private":
        return Ignore("group button")
    return Press(query, update.update_id)


def _membership(update: Update, change: ChatMemberUpdated, received_at: datetime) -> Event:
    old, new = change.old_chat_member.status, change.new_chat_member.status
    if change.chat.type == "private":
        if new == "kicked":
            kind = InboundKind.BLOCKED
        elif new == "member" and old == "kicked":
            kind = InboundKind.UNBLOCKED
        else:
            return Ignore("private membership")
        return Deliver(inbound(update.update_id, change.from_user, change.chat.id, received_at,
                               kind))
    if change.chat.type in ("group", "supergroup") and new in _JOINED and old in _GONE:
        return GroupNote(change.chat.id)
    return Ignore("group membership")


def _message(update: Update, message: Message, received_at: datetime,
             bot_username: str | None) -> Event:
    start = _start_command(message.text, bot_username)
    if message.chat.type != "private":
        if message.chat.type in ("group", "supergroup") and start is not None:
            return GroupNote(message.chat.id)
        return Ignore("group message")
    user = message.from_user
    if user is None or user.is_bot:
        return Ignore("not from a person")
    chat_id, update_id = message.chat.id, update.update_id
    if start is not None:
        # A typed "/start hallo daar!" is no deep link: Telegram payloads are [A-Za-z0-9_-].
        payload = start if _PAYLOAD_RE.match(start) else None
        return Deliver(inbound(update_id, user, chat_id, received_at, InboundKind.START,
                               start_payload=payload))
    if message.text is not None:
        return Deliver(inbound(update_id, user, chat_id, received_at, InboundKind.TEXT,
                               text=message.text))
    if message.effective_attachment is not None or message.story is not None:
        # Never the caption, file, contact or location itself.
        return Deliver(inbound(update_id, user, chat_id, received_at, InboundKind.UNSUPPORTED))
    return Ignore("service message")


def _start_command(text: str | None, bot_username: str | None) -> str | None:
    """'' for a bare /start, the payload for '/start x', None when it is no /start."""
    if not text or not text.startswith("/"):
        return None
    command, _, rest = text.partition(" ")
    name, _, target = command[1:].partition("@")
    if name.lower() != "start":
        return None
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return rest.strip()
