"""Builders for Telegram ``Update`` JSON, shaped as the Bot API documents them.

Fixtures are plain dicts (what Telegram POSTs), without ``update_id``: the
stand-in (:class:`tests.support.fake_telegram.FakeTelegram`) numbers updates
when they are queued, as Telegram does. Message ids come from a per-chat
counter the builder is given, so user and bot messages in one chat share one
sequence like on the real server.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Chat", "UpdateBuilder", "User"]

JSON = dict[str, Any]

#: A fixed "now" for fixture dates; tests that care pass their own.
DEFAULT_DATE = 1_790_000_000


@dataclass(frozen=True, slots=True)
class User:
    id: int
    first_name: str = "Sam"
    language_code: str | None = "nl"
    is_bot: bool = False
    username: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.language_code is not None:
            data["language_code"] = self.language_code
        if self.username is not None:
            data["username"] = self.username
        return data


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat; ``type`` is one of private, group, supergroup, channel."""

    id: int
    type: str = "private"
    title: str | None = None

    def __post_init__(self) -> None:
        if self.type not in {"private", "group", "supergroup", "channel"}:
            raise ValueError(f"unknown chat type {self.type!r}")

    @classmethod
    def private(cls, user: User) -> Chat:
        return cls(id=user.id, type="private")

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = "Sam"
        else:
            data["title"] = self.title or f"{self.type} {abs(self.id)}"
        return data


def _own_counter() -> Callable[[int], int]:
    counters: dict[int, itertools.count[int]] = {}

    def next_id(chat_id: int) -> int:
        return next(counters.setdefault(chat_id, itertools.count(1)))

    return next_id


@dataclass(slots=True)
class UpdateBuilder:
    """Makes Update payloads. ``next_message_id(chat_id)`` numbers messages per chat."""

    next_message_id: Callable[[int], int] = field(default_factory=_own_counter)
    date: int = DEFAULT_DATE
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- messages ---------------------------------------------------------------------------
    def message(self, user: User, chat: Chat | None = None, **content: Any) -> JSON:
        """A ``message`` update with arbitrary content fields (``text``, ``photo``...)."""
        return {"message": self._message_body(user, chat, content)}

    def text(self, user: User, text: str, chat: Chat | None = None) -> JSON:
        return self.message(user, chat, text=text, **_command_entities(text))

    def start(self, user: User, payload: str | None = None, chat: Chat | None = None) -> JSON:
        return self.text(user, "/start" if payload is None else f"/start {payload}", chat)

    def photo(self, user: User, caption: str | None = None, chat: Chat | None = None) -> JSON:
        sizes = [
            {"file_id": f"AgAD{w}", "file_unique_id": f"u{w}", "width": w, "height": w}
            for w in (90, 320, 800)
        ]
        extra = {"caption": caption} if caption else {}
        return self.message(user, chat, photo=sizes, **extra)

    def voice(self, user: User, chat: Chat | None = None) -> JSON:
        voice = {"file_id": "AwAD", "file_unique_id": "v1", "duration": 3, "mime_type": "audio/ogg"}
        return self.message(user, chat, voice=voice)

    def sticker(self, user: User, chat: Chat | None = None) -> JSON:
        sticker = {
            "file_id": "CAAD", "file_unique_id": "s1", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": "😂",
        }
        return self.message(user, chat, sticker=sticker)

    def document(self, user: User, chat: Chat | None = None) -> JSON:
        doc = {"file_id": "BQAD", "file_unique_id": "d1", "file_name": "cv.pdf",
               "mime_type": "application/pdf", "file_size": 12345}
        return self.message(user, chat, document=doc)

    def video(self, user: User, chat: Chat | None = None) -> JSON:
        video = {"file_id": "BAAD", "file_unique_id": "vi1", "width": 640, "height": 480,
                 "duration": 5}
        return self.message(user, chat, video=video)

    def location(self, user: User, chat: Chat | None = None) -> JSON:
        return self.message(user, chat, location={"latitude": 52.0907, "longitude": 5.1214})

    def contact(self, user: User, chat: Chat | None = None) -> JSON:
        contact = {"phone_number": "+31612345678", "first_name": "Sam", "user_id": user.id}
        return self.message(user, chat, contact=contact)

    def edited_text(self, user: User, message_id: int, text: str,
                    chat: Chat | None = None) -> JSON:
        chat = chat or Chat.private(user)
        body = {
            "message_id": message_id, "from": user.to_json(), "chat": chat.to_json(),
            "date": self.date, "edit_date": self.date + 30, "text": text,
        }
        return {"edited_message": body}

    def channel_post(self, chat: Chat, text: str) -> JSON:
        body = {"message_id": self.next_message_id(chat.id), "chat": chat.to_json(),
                "date": self.date, "text": text}
        return {"channel_post": body}

    # -- callbacks and membership ------------------------------------------------------------
    def callback_query(self, user: User, message: JSON | None, data: str) -> JSON:
        """A button press on ``message`` (a bot Message as returned by sendMessage)."""
        query: JSON = {
            "id": f"{user.id}{next(self._query_ids):08d}",
            "from": user.to_json(),
            "chat_instance": f"ci{user.id}",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        return {"callback_query": query}

    def my_chat_member(self, user: User, chat: Chat, old: str, new: str,
                       bot: User | None = None) -> JSON:
        """The bot's own membership changed (``kicked`` = blocked in a private chat)."""
        bot = bot or User(id=1, first_name="Praatmee", is_bot=True, username="praatmee_bot")
        body = {
            "chat": chat.to_json(), "from": user.to_json(), "date": self.date,
            "old_chat_member": _member(bot, old, self.date),
            "new_chat_member": _member(bot, new, self.date),
        }
        return {"my_chat_member": body}

    def _message_body(self, user: User, chat: Chat | None, content: dict[str, Any]) -> JSON:
        chat = chat or Chat.private(user)
        body: JSON = {
            "message_id": self.next_message_id(chat.id),
            "from": user.to_json(),
            "chat": chat.to_json(),
            "date": self.date,
        }
        body.update(content)
        return body


def _command_entities(text: str) -> dict[str, Any]:
    if not text.startswith("/"):
        return {}
    length = len(text.split(maxsplit=1)[0])
    return {"entities": [{"type": "bot_command", "offset": 0, "length": length}]}


def _member(bot: User, status: str, date: int) -> JSON:
    member: JSON = {"user": bot.to_json(), "status": status}
    if status == "kicked":
        member["until_date"] = 0
    elif status == "administrator":
        member.update(
            can_be_edited=False, is_anonymous=False, can_manage_chat=True,
            can_delete_messages=False, can_manage_video_chats=False,
            can_restrict_members=False, can_promote_members=False, can_change_info=False,
            can_invite_users=True, can_post_stories=False, can_edit_stories=False,
            can_delete_stories=False,
        )
    return member
