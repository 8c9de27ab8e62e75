"""A local stand-in for the Telegram Bot API, built to the documented protocol.

Point python-telegram-bot at it with ``base_url=fake.base_url``. It answers
``/bot<token>/<method>`` like api.telegram.org does (see
/work/shared/channels.md, section 1 and the checklist in section 4): real
Message objects, the documented limits as 400s, flood control as 429 with
``parameters.retry_after``, getUpdates long polling, and a webhook sender that
redelivers on failure and holds back later updates of a chat. It knows nothing
about Praatmee, so tests of our adapter cannot pass by agreeing with it.

Every call is recorded in :attr:`FakeTelegram.calls`; faults are injected with
:meth:`FakeTelegram.fail`; flood limits are optional (``enforce_limits``) and
each refused send is counted in :attr:`FakeTelegram.violations`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.support.telegram_updates import Chat, UpdateBuilder, User

__all__ = ["Call", "DeliveryAttempt", "Fault", "FakeTelegram", "WebhookSender"]

JSON = dict[str, Any]

_JSON_FIELDS = frozenset(
    {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options",
     "reply_parameters", "caption_entities"}
)
_INT_FIELDS = frozenset({"message_id", "offset", "limit", "timeout", "cache_time",
                         "max_connections", "message_thread_id"})
_BOOL_FIELDS = frozenset({"drop_pending_updates", "show_alert", "disable_notification",
                          "protect_content"})
_SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendvoice",
                           "sendsticker", "sendlocation", "sendcontact"})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video",
                           "record_voice", "upload_voice", "upload_document", "choose_sticker",
                           "find_location", "record_video_note", "upload_video_note"})
#: Without ``allowed_updates`` Telegram sends every type except these.
_OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_UPDATE_TYPES = ("message", "edited_message", "channel_post", "edited_channel_post",
                 "callback_query", "my_chat_member", "chat_member", "message_reaction",
                 "message_reaction_count", "inline_query", "chat_join_request", "poll",
                 "poll_answer")
_MAX_UPDATE_AGE = 24 * 3600.0
_USE_CONFIGURED = object()


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True, slots=True)
class Call:
    """One request the stand-in received, after decoding."""

    method: str  # lower case, as methods are case-insensitive
    params: JSON
    status: int
    at: float


@dataclass(slots=True)
class Fault:
    """An injected failure. ``kind``: flood, blocked, too_old, server_error, slow."""

    kind: str
    method: str | None = None
    chat_id: int | None = None
    times: int | None = 1  # None: for ever
    retry_after: int = 5
    delay: float = 0.0
    status: int = 500

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method.lower() != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(slots=True)
class _Queued:
    update: JSON
    queued_at: float
    chat_id: int | None

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass(slots=True)
class _Webhook:
    url: str
    secret: str | None
    allowed_updates: list[str] | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(slots=True)
class _Limits:
    """Flood control as the FAQ describes it: per chat, overall, per group."""

    clock: Callable[[], float]
    chat_burst: int
    tokens: dict[int, tuple[float, float]] = field(default_factory=dict)
    overall: deque[float] = field(default_factory=deque)
    groups: dict[int, deque[float]] = field(default_factory=dict)

    def check(self, chat_id: int) -> tuple[str, int] | None:
        """Return (rule, retry_after) when this send breaks a limit, else book it."""
        now = self.clock()
        while self.overall and now - self.overall[0] >= 1.0:
            self.overall.popleft()
        if len(self.overall) >= 30:
            return "overall", max(1, math.ceil(1.0 - (now - self.overall[0])))
        group = self.groups.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= 20:
                return "group", max(1, math.ceil(60.0 - (now - group[0])))
        tokens, last = self.tokens.get(chat_id, (float(self.chat_burst), now))
        tokens = min(float(self.chat_burst), tokens + (now - last))
        if tokens < 1.0:
            self.tokens[chat_id] = (tokens, now)
            return "chat", max(1, math.ceil(1.0 - tokens))
        self.tokens[chat_id] = (tokens - 1.0, now)
        self.overall.append(now)
        if group is not None:
            group.append(now)
        return None


class FakeTelegram:
    """The Bot API on 127.0.0.1. Use ``async with FakeTelegram() as fake``."""

    def __init__(
        self,
        token: str = "123456:TEST-token_for-praatmee",
        *,
        bot_username: str = "praatmee_bot",
        enforce_limits: bool = False,
        chat_burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot = User(id=int(token.split(":", 1)[0]), first_name="Praatmee", is_bot=True,
                        username=bot_username, language_code=None)
        self.enforce_limits = enforce_limits
        self.clock = clock
        self.calls: list[Call] = []
        self.violations: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.chats: dict[int, Chat] = {}
        #: Bot messages by (chat id, message id), in their current (edited) state.
        self.messages: dict[tuple[int, int], JSON] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: _Webhook | None = None
        self.allowed_updates: list[str] | None = None
        self.open_queries: dict[str, int] = {}
        self.answered_queries: list[str] = []
        self.filtered: list[JSON] = []
        self._pending: list[_Queued] = []
        self._update_ids = itertools.count(700_000_001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._limits = _Limits(clock=clock, chat_burst=chat_burst)
        self._wakeup = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.updates = UpdateBuilder(next_message_id=self._next_message_id)
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Stop serving; a getUpdates long poll still waiting returns at once (no 30 s hang)."""
        self._closing = True
        self._wakeup.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """PTB's ``base_url`` form: the token is appended by PTB."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- test controls ------------------------------------------------------------------------
    def add_chat(self, chat: Chat) -> None:
        self.chats[chat.id] = chat

    def fail(self, kind: str, **options: Any) -> Fault:
        """Inject a fault (see :class:`Fault`); it applies to the next matching calls."""
        if kind not in {"flood", "blocked", "too_old", "server_error", "slow"}:
            raise ValueError(f"unknown fault {kind!r}")
        fault = Fault(kind=kind, **options)
        self.faults.append(fault)
        return fault

    def enqueue(self, update: JSON, *, age: float = 0.0) -> int:
        """Queue an update as Telegram would (numbering it); returns its update_id."""
        body = dict(update)
        kind = next(k for k in _UPDATE_TYPES if k in body)
        chat_id = self._register_chats(body[kind])
        allowed = self.webhook.allowed_updates if self.webhook else self.allowed_updates
        if (kind in _OPT_IN_TYPES) if not allowed else (kind not in allowed):
            self.filtered.append(body)
            return 0
        body["update_id"] = next(self._update_ids)
        if kind == "callback_query":
            self.open_queries[body[kind]["id"]] = body["update_id"]
        self._pending.append(_Queued(body, self.clock() - age, chat_id))
        self._wakeup.set()
        return int(body["update_id"])

    def press(self, user: User, chat_id: int, message_id: int, data: str) -> int:
        """The user presses a button carrying ``data`` on a bot message; queue it."""
        message = self.messages[(chat_id, message_id)]
        return self.enqueue(self.updates.callback_query(user, json.loads(json.dumps(message)),
                                                        data))

    @property
    def pending_update_ids(self) -> list[int]:
        return [q.update_id for q in self._pending]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method.lower() and c.status == 200]

    def sent_to(self, chat_id: int) -> list[JSON]:
        """Bot messages in ``chat_id`` in their current state, oldest first."""
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    # -- HTTP ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params: JSON = {}
        status = 200
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            params = await _read_params(request)
            await self._apply_faults(method, params)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise _ApiError(404, "Not Found")
            if self.enforce_limits and method in _SEND_METHODS:
                self._check_limits(_chat_id(params))
            result = await handler(params)
            body: JSON = {"ok": True, "result": result}
        except _ApiError as exc:
            status = exc.code
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
        self.calls.append(Call(method, params, status, self.clock()))
        return web.json_response(body, status=status)

    async def _apply_faults(self, method: str, params: JSON) -> None:
        chat_id = _maybe_chat_id(params)
        for fault in self.faults:
            if not fault.matches(method, chat_id):
                continue
            if fault.times is not None:
                fault.times -= 1
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "flood":
                raise _flood(fault.retry_after)
            elif fault.kind == "blocked":
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            elif fault.kind == "too_old":
                raise _ApiError(400, "Bad Request: query is too old and response timeout "
                                     "expired or query ID is invalid")
            else:
                raise _ApiError(fault.status, "Internal Server Error")

    def _check_limits(self, chat_id: int) -> None:
        broken = self._limits.check(chat_id)
        if broken is not None:
            rule, retry_after = broken
            self.violations[rule] += 1
            raise _flood(retry_after)

    # -- bookkeeping --------------------------------------------------------------------------
    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _register_chats(self, body: JSON) -> int | None:
        chat = body.get("chat") or (body.get("message") or {}).get("chat")
        if not chat:
            return None
        if chat["id"] not in self.chats:
            self.chats[chat["id"]] = Chat(id=chat["id"], type=chat["type"], title=chat.get("title"))
        return int(chat["id"])

    def _chat(self, params: JSON) -> Chat:
        chat = self.chats.get(_chat_id(params))
        if chat is None:
            raise _ApiError(400, "Bad Request: chat not found")
        return chat

    def _message(self, params: JSON) -> JSON:
        message = self.messages.get((_chat_id(params), params.get("message_id", 0)))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    # -- methods ------------------------------------------------------------------------------
    async def _m_getme(self, params: JSON) -> JSON:
        return {**self.bot.to_json(), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_setwebhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if not url:
            self.webhook = None
            return True
        parts = urlsplit(url)
        local = parts.hostname in {"127.0.0.1", "localhost"}
        if parts.scheme != "https" and not (local and parts.scheme == "http"):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                 "webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if allowed is None and self.webhook is not None:
            allowed = self.webhook.allowed_updates
        self.webhook = _Webhook(url, secret, allowed, int(params.get("max_connections", 40)))
        return True

    async def _m_deletewebhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _m_getwebhookinfo(self, params: JSON) -> JSON:
        info: JSON = {"url": "", "has_custom_certificate": False,
                      "pending_update_count": len(self._pending)}
        if self.webhook is not None:
            hook = self.webhook
            info.update(url=hook.url, max_connections=hook.max_connections)
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info.update(last_error_date=hook.last_error_date,
                            last_error_message=hook.last_error_message)
        return info

    async def _m_getupdates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                 "active; use deleteWebhook to delete the webhook first")
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"] or None
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        if not 1 <= limit <= 100:
            limit = 100
        self._forget(offset)
        deadline = self.clock() + float(params.get("timeout", 0))
        while not self._pending and not self._closing and self.clock() < deadline:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), deadline - self.clock())
            except TimeoutError:
                break
            self._forget(offset)
        return [q.update for q in self._pending[:limit]]

    def _forget(self, offset: int) -> None:
        """Confirm updates below ``offset`` (negative: keep only the last -offset)."""
        now = self.clock()
        self._pending = [q for q in self._pending if now - q.queued_at < _MAX_UPDATE_AGE]
        if offset > 0:
            self._pending = [q for q in self._pending if q.update_id >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def _m_sendmessage(self, params: JSON) -> JSON:
        chat = self._chat(params)
        text = _checked_text(params.get("text"))
        markup = _checked_markup(params.get("reply_markup"))
        message: JSON = {"message_id": self._next_message_id(chat.id),
                         "from": self.bot.to_json(), "chat": chat.to_json(),
                         "date": int(time.time()), "text": text}
        if markup is not None:
            message["reply_markup"] = markup
        self.messages[(chat.id, message["message_id"])] = message
        return message

    async def _m_sendchataction(self, params: JSON) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _m_editmessagetext(self, params: JSON) -> JSON:
        message = self._message(params)
        text = _checked_text(params.get("text"))
        markup = _checked_markup(params.get("reply_markup"))
        if text == message["text"] and markup == message.get("reply_markup"):
            raise _not_modified()
        return self._edit(message, text, markup)

    async def _m_editmessagereplymarkup(self, params: JSON) -> JSON:
        message = self._message(params)
        markup = _checked_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise _not_modified()
        return self._edit(message, message["text"], markup)

    def _edit(self, message: JSON, text: str, markup: JSON | None) -> JSON:
        message["text"] = text
        message["edit_date"] = int(time.time())
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message

    async def _m_answercallbackquery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if len(str(params.get("text", ""))) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if query_id not in self.open_queries:
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired "
                                 "or query ID is invalid")
        del self.open_queries[query_id]
        self.answered_queries.append(query_id)
        return True

    async def _m_setmycommands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_command_key(params)] = commands
        return True

    async def _m_getmycommands(self, params: JSON) -> list[JSON]:
        return self.commands.get(_command_key(params), [])

    async def _m_deletemycommands(self, params: JSON) -> bool:
        self.commands.pop(_command_key(params), None)
        return True


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    update_id: int
    status: int  # 0: timed out or connection failed


class WebhookSender:
    """Delivers queued updates to the webhook set with setWebhook, as Telegram does.

    Non-2xx or slow answers are redelivered (at-least-once); a chat's later
    updates wait until its earlier one succeeded. ``secret`` overrides the
    header: a string forges it, ``None`` leaves it out.
    """

    def __init__(self, fake: FakeTelegram, *, timeout: float = 5.0, max_attempts: int = 4,
                 retry_delay: float = 0.0) -> None:
        self.fake = fake
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.attempts: list[DeliveryAttempt] = []

    async def post(self, update: JSON, *, secret: Any = _USE_CONFIGURED) -> int:
        """POST one update once; returns the HTTP status (0 on timeout)."""
        hook = self.fake.webhook
        if hook is None:
            raise RuntimeError("no webhook set")
        header = hook.secret if secret is _USE_CONFIGURED else secret
        headers = {} if header is None else {"X-Telegram-Bot-Api-Secret-Token": header}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(hook.url, json=update, headers=headers) as response:
                    await response.read()
                    status = response.status
        except (TimeoutError, aiohttp.ClientError):
            status = 0
        self.attempts.append(DeliveryAttempt(int(update.get("update_id", 0)), status))
        if not 200 <= status < 300:
            hook.last_error_date = int(time.time())
            hook.last_error_message = f"Wrong response from the webhook: {status}"
        return status

    async def flush(self, *, secret: Any = _USE_CONFIGURED) -> list[int]:
        """Deliver pending updates chat by chat; returns update_ids delivered.

        Updates older than 24 hours are dropped first, as Telegram does.
        """
        self.fake._forget(0)
        delivered: list[int] = []
        blocked: set[int | None] = set()
        for queued in list(self.fake._pending):
            key = queued.chat_id if queued.chat_id is not None else -queued.update_id
            if key in blocked:
                continue
            if await self._deliver(queued, secret):
                self.fake._pending.remove(queued)
                delivered.append(queued.update_id)
            else:
                blocked.add(key)
        return delivered

    async def _deliver(self, queued: _Queued, secret: Any) -> bool:
        for attempt in range(self.max_attempts):
            if attempt:
                await asyncio.sleep(self.retry_delay)
            if 200 <= await self.post(queued.update, secret=secret) < 300:
                return True
        return False


# -- request decoding and limits ------------------------------------------------------------
async def _read_params(request: web.Request) -> JSON:
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise _ApiError(400, "Bad Request: can't parse JSON") from exc
            if not isinstance(body, dict):
                raise _ApiError(400, "Bad Request: can't parse JSON")
            raw.update(body)
        else:
            form = await request.post()
            raw.update({k: v if isinstance(v, str) else getattr(v, "filename", "")
                        for k, v in form.items()})
    return {name: _coerce(name, value) for name, value in raw.items()}


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value)
        if name in _INT_FIELDS:
            return int(value)
    except ValueError as exc:
        raise _ApiError(400, f"Bad Request: can't parse {name}") from exc
    if name in _BOOL_FIELDS:
        return value.lower() in {"true", "1"}
    if name == "chat_id":
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _maybe_chat_id(params: JSON) -> int | None:
    value = params.get("chat_id")
    return value if isinstance(value, int) else None


def _chat_id(params: JSON) -> int:
    chat_id = _maybe_chat_id(params)
    if chat_id is None:
        raise _ApiError(400, "Bad Request: chat not found")
    return chat_id


def _checked_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _ApiError(400, "Bad Request: message text is empty")
    if len(text) > 4096:
        raise _ApiError(400, "Bad Request: message is too long")
    return text


def _checked_markup(markup: Any) -> JSON | None:
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
    for row in rows:
        for button in row:
            if not str(button.get("text", "")):
                raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline "
                                     "keyboard")
            data = button.get("callback_data")
            if data is None and "url" not in button:
                raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows}


def _command_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return str(scope.get("type", "default")), str(params.get("language_code", ""))


def _flood(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}",
                     {"retry_after": retry_after})


def _not_modified() -> _ApiError:
    return _ApiError(400, "Bad Request: message is not modified: specified new message content "
                          "and reply markup are exactly the same as a current content and reply "
                          "markup of the message")
