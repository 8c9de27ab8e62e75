"""A running Praatmee with Telegram (the Bot API stand-in) for group tests, on a service clock.

The service clock is separate from pacing: the sender paces in real time, while
quiet hours, fatigue and due times follow :class:`ServiceClock`, which a test
can hold still or move on.
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import Table, select

from bot.config import Settings
from bot.groups.cli import coaches_invite, groups_create
from bot.service import Service
from tests.support.fake_telegram import FakeTelegram, WebhookSender
from tests.support.service import settings_for
from tests.support.telegram_updates import User

JSON = dict[str, Any]
SECRET = "praatmee_groups-secret_1"
PROMPT_MARK = "📊"


class ServiceClock:
    """``frozen``: time stands still until :meth:`advance`; else it runs from ``start``."""

    def __init__(self, start: datetime, *, frozen: bool) -> None:
        self._start = start
        self._frozen = frozen
        self._offset = timedelta()
        self._loop_start = asyncio.get_event_loop().time()

    def __call__(self) -> datetime:
        running = timedelta() if self._frozen else timedelta(
            seconds=asyncio.get_event_loop().time() - self._loop_start)
        return self._start + self._offset + running

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Line:
    fake: FakeTelegram
    settings: Settings
    clock: ServiceClock
    service: Service = field(init=False)
    hook: WebhookSender = field(init=False)

    def __post_init__(self) -> None:
        self.hook = WebhookSender(self.fake, max_attempts=2)

    async def deliver(self, update: JSON) -> int:
        update_id = self.fake.enqueue(update)
        assert await self.hook.flush() == [update_id]
        return update_id

    async def settled(self, timeout: float = 60.0) -> None:
        async def due_sent() -> bool:
            assert self.service.db is not None
            from bot.stores.sql.tables import outbox
            rows = await self.service.db.run(
                lambda conn: conn.execute(select(outbox.c.due_at, outbox.c.status)).all())
            now = self.clock()
            return not any(r.status == "sending" or (r.status == "pending" and r.due_at <= now) for r in rows)
        await asyncio.sleep(0.05)
        await until(due_sent, "every due message to be delivered", timeout)

    async def rows(self, table: Table) -> list[Any]:
        assert self.service.db is not None
        return await self.service.db.run(lambda conn: list(conn.execute(select(table)).mappings().all()))

    def texts(self, chat_id: int) -> list[str]:
        return [c.params["text"] for c in self.fake.calls
                if c.method == "sendmessage" and c.status == 200 and c.params.get("chat_id") == chat_id]

    async def create_group(self, name: str, municipality: str = "velsen", domain: str = "jeugd") -> tuple[str, str]:
        """(group id, join payload) through the admin CLI function."""
        out = io.StringIO()
        assert await groups_create(self.settings, municipality, domain, name, out) == 0
        lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
        assert lines["join link"].startswith("https://t.me/praatmee_bot?start=g-")
        return lines["group"], lines["join link"].rsplit("=", 1)[1]

    async def invite(self, group_id: str) -> str:
        out = io.StringIO()
        assert await coaches_invite(self.settings, group_id, out) == 0
        return out.getvalue().strip()


@dataclass
class Person:
    line: Line
    user: User

    @property
    def chat_id(self) -> int:
        return self.user.id

    @property
    def last(self) -> JSON:
        messages = self.line.fake.sent_to(self.chat_id)
        assert messages, "the bot has not written here"
        return messages[-1]

    def buttons(self, message: JSON | None = None) -> dict[str, str]:
        """label -> callback data of the message's keyboard."""
        markup = (message or self.last).get("reply_markup") or {}
        return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}

    async def start(self, payload: str | None = None) -> None:
        await self.line.deliver(self.line.fake.updates.start(self.user, payload))

    async def say(self, text: str) -> None:
        await self.line.deliver(self.line.fake.updates.text(self.user, text))

    async def press(self, label: str, message: JSON | None = None) -> None:
        message = message or self.last
        data = self.buttons(message)[label]
        update_id = self.line.fake.press(self.user, self.chat_id, message["message_id"], data)
        assert await self.line.hook.flush() == [update_id]

    async def reply_after(self, action: Awaitable[None]) -> str:
        """Do ``action`` and return the text of the bot's newest message once it arrived."""
        before = len(self.line.fake.sent_to(self.chat_id))
        await action

        async def arrived() -> bool:
            return len(self.line.fake.sent_to(self.chat_id)) > before
        await until(arrived, "the bot's reply", 20)
        return str(self.last["text"])


@asynccontextmanager
async def serving(backend: str, tmp_path: Path, request: pytest.FixtureRequest, clock: ServiceClock,
                  fake: FakeTelegram, **overrides: Any) -> AsyncIterator[Line]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/telegram"
    settings = settings_for(backend, tmp_path, request, telegram_token=fake.token, telegram_mode="webhook",
                            telegram_webhook_url=url, telegram_secret=SECRET,
                            telegram_api_base_url=fake.base_url, telegram_bot_username="praatmee_bot",
                            **overrides)
    line = Line(fake, settings, clock)
    async with restarted(line, sock):
        yield line


@asynccontextmanager
async def restarted(line: Line, sock: socket.socket | None = None) -> AsyncIterator[Line]:
    """(Re)start the service on the line's settings; dropping it ends every task at once."""
    if sock is None:
        sock = socket.socket()
        port = int(line.settings.telegram_webhook_url.rsplit(":", 1)[1].split("/", 1)[0])  # type: ignore[union-attr]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    line.service = Service(line.settings, clock=line.clock)
    runner = web.AppRunner(line.service.app(), access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield line
    finally:
        await runner.cleanup()


def no_violations(fake: FakeTelegram) -> None:
    assert fake.violations == Counter(), f"Praatmee broke Telegram's flood limits: {fake.violations}"
