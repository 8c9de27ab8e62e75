"""A local stand-in for the WhatsApp Cloud API, and Meta's webhook sender.

:class:`FakeWhatsApp` serves ``POST /<version>/<phone_number_id>/messages`` as
Meta documents it: Bearer check, per-type limits, Graph error envelopes keyed
by ``code``, a clock-driven 24-hour customer service window, the pair rate and
number throughput limits, scripted failures per recipient and the status
webhooks that follow each accepted send. :class:`MetaWebhookSender` posts to
our webhook exactly as Meta does: signed raw bytes with escaped non-ASCII,
batches, redelivery with backoff. Only :func:`whatsapp_harness`, which wires
the stand-ins to a real :class:`WhatsAppChannel`, knows the adapter.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.base import DeliveryStatus
from bot.channels.whatsapp import WhatsAppChannel, WhatsAppNumber, WhatsAppSettings
from bot.messages import InboundMessage, InboundRecord, OutboundMessage, inbound_from_record

from . import whatsapp_payloads as wp

JSON = dict[str, Any]

__all__ = [
    "FakeClock",
    "FakeWhatsApp",
    "MetaWebhookSender",
    "RecordingSink",
    "SentMessage",
    "StatusPlan",
    "WhatsAppHarness",
    "whatsapp_harness",
]

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
#: phone_number_id -> (municipality, access token): one number per municipality.
NUMBERS = {"106540352242922": ("0344", "token-utrecht"),
           "106540352242923": ("0355", "token-zeist")}
UTRECHT, ZEIST = NUMBERS

#: HTTP status Meta uses for each error code (the code is what clients must read).
_HTTP_STATUS = {190: 401, 131000: 500, 131016: 503}
_TITLES = {
    100: "Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    130403: "Recipient blocked by the business",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131009: "Parameter value is not valid",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "User has stopped marketing messages",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
}


def width(text: str) -> int:
    """Characters as counted here: UTF-16 code units (the stricter reading)."""
    return len(text.encode("utf-16-le")) // 2


class FakeClock:
    """Seconds since the epoch, moved only by the test."""

    def __init__(self, start: float = wp.DEFAULT_TS) -> None:
        self.now = float(start)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """What status webhooks follow an accepted send."""

    skip_delivered: bool = False
    reorder: bool = False  # read arrives before delivered (Meta does not promise order)
    fail_code: int | None = None  # a ``failed`` status with this code instead
    last: Literal["sent", "delivered", "read"] = "read"


@dataclass(frozen=True, slots=True)
class SentMessage:
    """An accepted send, as the stand-in saw it."""

    phone_number_id: str
    user_key: str
    body: JSON
    wamid: str


@dataclass(slots=True)
class _Script:
    code: int
    times: int | None
    asynchronous: bool


class _GraphError(Exception):
    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


class FakeWhatsApp:
    """The Graph API ``/messages`` endpoint of one Meta app with several numbers."""

    def __init__(
        self,
        numbers: dict[str, str],
        *,
        clock: FakeClock | None = None,
        throughput: int = 80,
        pair_interval: float = 6.0,
        pair_burst: int = 5,
        window_errors: Literal["sync", "async"] = "sync",
        version: str = "v25.0",
    ) -> None:
        self.numbers = dict(numbers)  # phone_number_id -> access token
        self.clock = clock or FakeClock()
        self.throughput = throughput
        self.pair_interval = pair_interval
        self.pair_burst = pair_burst
        self.window_errors = window_errors
        self.version = version
        self.status_plan = StatusPlan()
        self.sent: list[SentMessage] = []
        self.read_marks: list[tuple[str, str, bool]] = []  # (number, wamid, typing)
        self.errors: list[tuple[int, JSON]] = []  # (code, request body) of every refusal
        self.violations: Counter[int] = Counter()
        self.pending_statuses: list[tuple[str, JSON]] = []
        #: Messages accepted and then reported ``failed`` in a status webhook (never delivered).
        self.failed_wamids: set[str] = set()
        self._users: dict[str, wp.WaUser] = {}
        self._windows: dict[tuple[str, str], float] = {}
        self._pair_tokens: dict[tuple[str, str], tuple[float, float]] = {}
        self._recent: dict[str, deque[float]] = {}
        self._scripts: dict[str, _Script] = {}
        self._plans: dict[str, StatusPlan] = {}

    # --- harness controls -------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{number}/messages", self._handle)
        return app

    def add_user(self, user: wp.WaUser) -> None:
        self._users[user.bsuid] = user
        if user.wa_id:
            self._users[user.wa_id] = user

    def open_window(self, phone_number_id: str, user: wp.WaUser) -> None:
        self.add_user(user)
        self._windows[(phone_number_id, user.bsuid)] = self.clock.now

    def window_open(self, phone_number_id: str, user: wp.WaUser) -> bool:
        opened = self._windows.get((phone_number_id, user.bsuid))
        return opened is not None and self.clock.now - opened < 24 * 3600

    def inbound(self, phone_number_id: str, user: wp.WaUser, *messages: JSON) -> JSON:
        """A webhook payload of user messages; like Meta, this opens the window."""
        self.open_window(phone_number_id, user)
        return wp.inbound(phone_number_id, user, *messages)

    def fail(self, user: str, code: int, *, times: int | None = None,
             asynchronous: bool = False) -> None:
        """Refuse sends to ``user`` (BSUID or wa_id) with ``code``, ``times`` times."""
        self._scripts[user] = _Script(code, times, asynchronous)

    def plan_statuses(self, user: str, plan: StatusPlan) -> None:
        self._plans[user] = plan

    def status_payloads(self, *, batch: bool = True) -> list[JSON]:
        """Status webhooks due so far, one POST per status or all in one."""
        pending, self.pending_statuses = self.pending_statuses, []
        if not pending:
            return []
        if not batch:
            return [wp.envelope(wp.entry(wp.value(n, statuses=[s]))) for n, s in pending]
        by_number: dict[str, list[JSON]] = {}
        for number, item in pending:
            by_number.setdefault(number, []).append(item)
        return [wp.envelope(*(wp.entry(wp.value(n, statuses=s)) for n, s in by_number.items()))]

    # --- the endpoint -----------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        body: JSON = {}
        try:
            token = self.numbers.get(number)
            auth = request.headers.get("Authorization", "")
            if token is None or auth != f"Bearer {token}":
                raise _GraphError(190, "Invalid OAuth access token")
            if request.match_info["version"] != self.version:
                raise _GraphError(100, "Unknown API version")
            try:
                loaded = json.loads(await request.read())
            except ValueError as exc:
                raise _GraphError(100, "Request body is not JSON") from exc
            if not isinstance(loaded, dict):
                raise _GraphError(100, "Request body is not a JSON object")
            body = loaded
            return web.json_response(self._process(number, body))
        except _GraphError as exc:
            self.errors.append((exc.code, body))
            return web.json_response(
                _envelope(exc.code, exc.details), status=_HTTP_STATUS.get(exc.code, 400)
            )

    def _process(self, number: str, body: JSON) -> JSON:
        if body.get("messaging_product") != "whatsapp":
            raise _GraphError(100, "messaging_product must be whatsapp")
        if body.get("status") == "read":
            return self._mark_read(number, body)
        given, user = self._recipient(body)
        _validate(body)
        key = user.bsuid if user else f"to:{given}"
        self._throughput(number)
        is_template = body["type"] == "template"
        script = self._script(given, user)
        if script is not None and not script.asynchronous:
            raise _GraphError(script.code, "scripted failure")
        outside = not is_template and (user is None or not self.window_open(number, user))
        if outside and self.window_errors == "sync":
            raise _GraphError(131047, "Message failed to send because more than 24 hours "
                                      "have passed since the customer last replied")
        self._pair_rate(number, key)
        wamid = wp.new_wamid()
        self.sent.append(SentMessage(number, key, body, wamid))
        fail_code = script.code if script else (131047 if outside else None)
        self._queue_statuses(number, given, user, wamid, fail_code)
        contact: JSON = {"input": given}
        if user and user.wa_id:
            contact["wa_id"] = user.wa_id
        elif user is None:
            contact["wa_id"] = given.lstrip("+")
        if user:
            contact["user_id"] = user.bsuid
        return {"messaging_product": "whatsapp", "contacts": [contact],
                "messages": [{"id": wamid}]}

    def _mark_read(self, number: str, body: JSON) -> JSON:
        wamid = body.get("message_id")
        if not isinstance(wamid, str) or not wamid.startswith("wamid."):
            raise _GraphError(100, "message_id must be a wamid")
        typing = body.get("typing_indicator")
        if typing is not None and typing != {"type": "text"}:
            raise _GraphError(100, "typing_indicator.type must be text")
        self.read_marks.append((number, wamid, typing is not None))
        return {"success": True}

    def _recipient(self, body: JSON) -> tuple[str, wp.WaUser | None]:
        to, recipient = body.get("to"), body.get("recipient")
        if (to is None) == (recipient is None):
            raise _GraphError(100, "exactly one of to or recipient is required")
        given = to if to is not None else recipient
        if not isinstance(given, str) or not given:
            raise _GraphError(100, "recipient must be a non-empty string")
        if to is not None and not given.lstrip("+").isdigit():
            raise _GraphError(100, "to must be a phone number")
        if recipient is not None and given.isdigit():
            raise _GraphError(100, "recipient must be a business-scoped user id")
        return given, self._users.get(given.lstrip("+"))

    def _script(self, given: str, user: wp.WaUser | None) -> _Script | None:
        for key in {given.lstrip("+"), *((user.bsuid, user.wa_id) if user else ())}:
            script = self._scripts.get(key or "")
            if script is None:
                continue
            if script.times is not None:
                script.times -= 1
                if script.times <= 0:
                    del self._scripts[key or ""]
            return script
        return None

    def _throughput(self, number: str) -> None:
        recent = self._recent.setdefault(number, deque())
        while recent and self.clock.now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.throughput:
            self.violations[130429] += 1
            raise _GraphError(130429, "Cloud API message throughput has been reached")
        recent.append(self.clock.now)

    def _pair_rate(self, number: str, key: str) -> None:
        tokens, at = self._pair_tokens.get((number, key), (float(self.pair_burst), self.clock.now))
        tokens = min(float(self.pair_burst), tokens + (self.clock.now - at) / self.pair_interval)
        if tokens < 1.0:
            self.violations[131056] += 1
            self._pair_tokens[(number, key)] = (tokens, self.clock.now)
            raise _GraphError(131056, "Too many messages sent to this user in a short time")
        self._pair_tokens[(number, key)] = (tokens - 1.0, self.clock.now)

    def _queue_statuses(self, number: str, given: str, user: wp.WaUser | None, wamid: str,
                        fail_code: int | None) -> None:
        who = user or wp.WaUser(bsuid=f"XX.{given.lstrip('+')}", wa_id=given.lstrip("+"))
        plan = self._plans.get(who.bsuid) or self._plans.get(who.wa_id or "") or self.status_plan
        ts = int(self.clock.now)
        if fail_code is not None or plan.fail_code is not None:
            code = fail_code if fail_code is not None else plan.fail_code
            self.failed_wamids.add(wamid)
            self.pending_statuses.append(
                (number, wp.status(wamid, "failed", who, ts=ts, error_code=code)))
            return
        states = ["sent", "delivered", "read"][: ["sent", "delivered", "read"].index(plan.last) + 1]
        if plan.skip_delivered and "delivered" in states:
            states.remove("delivered")
        if plan.reorder:
            states.reverse()
        for state in states:
            self.pending_statuses.append((number, wp.status(wamid, state, who, ts=ts)))


def _envelope(code: int, details: str) -> JSON:
    return {"error": {"message": f"(#{code}) {_TITLES.get(code, 'Error')}",
                      "type": "OAuthException", "code": code,
                      "error_data": {"messaging_product": "whatsapp", "details": details},
                      "fbtrace_id": "A" + uuid.uuid4().hex[:22]}}


def _check(ok: bool, details: str, code: int = 131009) -> None:
    if not ok:
        raise _GraphError(code, details)


def _text_ok(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < width(value) <= limit and not value.isspace()


def _validate(body: JSON) -> None:
    """Per-type limits from Meta's send-message reference pages."""
    kind = body.get("type", "text")
    content = body.get(kind)
    _check(kind in ("text", "interactive", "template"), f"unsupported type {kind!r}", 100)
    _check(isinstance(content, dict), f"{kind} object is required", 100)
    assert isinstance(content, dict)
    if kind == "text":
        _check(_text_ok(content.get("body"), 4096), "text.body must be 1-4096 characters", 100)
    elif kind == "template":
        _validate_template(content)
    else:
        _validate_interactive(content)


def _validate_template(template: JSON) -> None:
    _check(isinstance(template.get("name"), str) and bool(template["name"]),
           "template.name is required", 100)
    language = template.get("language")
    _check(isinstance(language, dict) and isinstance(language.get("code"), str),
           "template.language.code is required", 100)
    for component in template.get("components", []):
        _check(component.get("type") in ("header", "body", "button", "footer"),
               "unknown template component type")
        for parameter in component.get("parameters", []):
            _check(parameter.get("type") != "text" or _text_ok(parameter.get("text"), 32768),
                   "template text parameter must be non-empty")


def _validate_interactive(interactive: JSON) -> None:
    kind = interactive.get("type")
    body = interactive.get("body", {})
    action = interactive.get("action", {})
    footer = interactive.get("footer")
    if footer is not None:
        _check(_text_ok(footer.get("text"), 60), "footer.text must be 1-60 characters")
    if kind == "button":
        _check(_text_ok(body.get("text"), 1024), "body.text must be 1-1024 characters")
        buttons = action.get("buttons", [])
        _check(1 <= len(buttons) <= 3, "buttons must have 1-3 items")
        titles = [b.get("reply", {}).get("title") for b in buttons]
        ids = [b.get("reply", {}).get("id") for b in buttons]
        _check(all(b.get("type") == "reply" for b in buttons), "button type must be reply")
        _check(all(_text_ok(t, 20) for t in titles), "button title must be 1-20 characters")
        _check(all(_text_ok(i, 256) for i in ids), "button id must be 1-256 characters")
        _check(len(set(titles)) == len(titles), "button titles must be unique")
        _check(len(set(ids)) == len(ids), "button ids must be unique")
    elif kind == "list":
        _check(_text_ok(body.get("text"), 4096), "body.text must be 1-4096 characters")
        _check(_text_ok(action.get("button"), 20), "action.button must be 1-20 characters")
        sections = action.get("sections", [])
        _check(1 <= len(sections) <= 10, "sections must have 1-10 items")
        rows = [row for section in sections for row in section.get("rows", [])]
        _check(1 <= len(rows) <= 10, "a list has 1-10 rows in total")
        if len(sections) > 1:
            _check(all(_text_ok(s.get("title"), 24) for s in sections),
                   "section title must be 1-24 characters")
        for row in rows:
            _check(_text_ok(row.get("id"), 200), "row id must be 1-200 characters")
            _check(_text_ok(row.get("title"), 24), "row title must be 1-24 characters")
            if "description" in row:
                _check(_text_ok(row["description"], 72), "row description must be 1-72 characters")
        ids = [row.get("id") for row in rows]
        _check(len(set(ids)) == len(ids), "row ids must be unique")
    else:
        raise _GraphError(100, f"unsupported interactive type {kind!r}")


class MetaWebhookSender:
    """Posts to our webhook as Meta does."""

    def __init__(self, client: TestClient[Any, Any], app_secret: str,
                 path: str = "/webhooks/whatsapp",
                 sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.client = client
        self.app_secret = app_secret
        self.path = path
        self.delays: list[float] = []
        self._sleep = sleep or self._record_delay

    async def _record_delay(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)

    async def handshake(self, token: str, *, mode: str = "subscribe",
                        challenge: str = "1158201444") -> tuple[int, str]:
        params = {"hub.mode": mode, "hub.challenge": challenge, "hub.verify_token": token}
        response = await self.client.get(self.path, params=params)
        return response.status, await response.text()

    async def post(self, payload: JSON | bytes, *,
                   signature: Literal["valid", "bad", "missing", "reserialised"] = "valid",
                   ) -> int:
        body = payload if isinstance(payload, bytes) else wp.meta_bytes(payload)
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers["X-Hub-Signature-256"] = wp.sign(self.app_secret, body)
        elif signature == "bad":
            headers["X-Hub-Signature-256"] = wp.sign(self.app_secret + "x", body)
        elif signature == "reserialised":
            # Signed over JSON re-serialised with raw UTF-8: what a careless
            # receiver would hash after json.loads + json.dumps.
            redone = json.dumps(json.loads(body), ensure_ascii=False).encode()
            headers["X-Hub-Signature-256"] = wp.sign(self.app_secret, redone)
        # A BytesIO body: aiohttp warns about large raw bytes (the 3 MB tests).
        response = await self.client.post(self.path, data=io.BytesIO(body), headers=headers)
        return response.status

    async def deliver(self, payload: JSON, *, attempts: int = 5) -> list[int]:
        """Post until 200, redelivering the same bytes with exponential backoff."""
        body = wp.meta_bytes(payload)
        statuses: list[int] = []
        for attempt in range(attempts):
            if attempt:
                await self._sleep(float(4 ** (attempt - 1)))
            statuses.append(await self.post(body))
            if statuses[-1] == 200:
                break
        return statuses


@dataclass(slots=True)
class RecordingSink:
    """A tracking fake of :class:`bot.channels.base.InboundSink`.

    ``fail_next`` makes that many ``accept`` calls raise, as a store outage
    would; like some database drivers, the error echoes what it failed to write.
    """

    accepted: list[InboundMessage] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    calls: int = 0
    fail_next: int = 0

    async def accept(self, message: InboundMessage) -> list[OutboundMessage]:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError(f"store unavailable while writing {message.text!r}")
        self.accepted.append(message)
        return []

    async def accept_all(self, messages: Sequence[InboundRecord]) -> None:
        for record in messages:
            await self.accept(inbound_from_record(record))

    async def status(self, update: DeliveryStatus) -> None:
        self.calls += 1
        self.statuses.append(update)


@dataclass(frozen=True, slots=True)
class WhatsAppHarness:
    """A real WhatsAppChannel wired to the stand-in API and to Meta's sender."""

    fake: FakeWhatsApp
    channel: WhatsAppChannel
    sink: RecordingSink
    meta: MetaWebhookSender
    settings: WhatsAppSettings


@asynccontextmanager
async def whatsapp_harness(*, mark_read: bool = False, sink: RecordingSink | None = None,
                           **fake_options: Any) -> AsyncIterator[WhatsAppHarness]:
    """Start the stand-in API and our webhook routes on local test servers."""
    fake = FakeWhatsApp({n: token for n, (_, token) in NUMBERS.items()}, **fake_options)
    async with TestServer(fake.app()) as api:
        settings = WhatsAppSettings(
            numbers=tuple(WhatsAppNumber(n, m, token) for n, (m, token) in NUMBERS.items()),
            app_secret=APP_SECRET,
            verify_token=VERIFY_TOKEN,
            api_base_url=str(api.make_url("/" + fake.version)),
            mark_read=mark_read,
        )
        sink = sink or RecordingSink()
        channel = WhatsAppChannel(settings, sink)
        app = web.Application()
        app.add_routes(channel.routes())
        async with channel, TestClient(TestServer(app)) as client:
            yield WhatsAppHarness(fake, channel, sink, MetaWebhookSender(client, APP_SECRET),
                                  settings)
