"""WhatsApp end to end: Meta's signed webhooks into the real Praatmee service, replies out
through the real outbox, worker and sender to the Cloud API stand-in.

Time is virtual: one :class:`FakeClock` drives the service clock, the stand-in's
24-hour window, pair rate and throughput, and the sender's pacer (its sleeps move
the clock), so limits measured in seconds and hours are kept without waiting.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

import bot.delivery.sender as sender_module
from bot.channels.base import Pacing
from bot.config import DEFAULT_DIALOGUES
from bot.delivery.pacer import Pacer
from bot.delivery.payload import encode
from bot.dialogue.catalog import Catalog
from bot.dialogue.model import Dialogue, StepType
from bot.messages import OutboundMessage
from bot.service import Service
from bot.stores.sql import AddressBook, OutboxItem
from bot.stores.sql.outbox import BULK
from bot.stores.sql.tables import answers, completions, delivery_log, metadata, outbox, participants
from tests.support import whatsapp_payloads as wp
from tests.support.fake_whatsapp import (
    APP_SECRET,
    NUMBERS,
    UTRECHT,
    VERIFY_TOKEN,
    ZEIST,
    FakeClock,
    FakeWhatsApp,
    MetaWebhookSender,
    SentMessage,
)
from tests.support.service import running, settings_for
from tests.support.tables import rows
from tests.support.walk import assert_stored, step_of

JSON = dict[str, Any]
BACKENDS = ["embedded", "redis-pg"]
CATALOG = Catalog.load([DEFAULT_DIALOGUES])
#: The stand-in's two numbers, each run by one of the configured municipalities.
MUNICIPALITY = {UTRECHT: "velsen", ZEIST: "beverwijk"}
TEMPLATES = {"prompt": {"name": "praatmee_nieuwe_vraag", "language": "nl"},
             "feedback": {"name": "praatmee_terugkoppeling", "language": "nl"}}
PHONE, EMAIL = "06-12345678", "jayden.bakker@gmail.com"
OPEN = f"bel me op {PHONE} of mail {EMAIL}, de bus rijdt niet na 8 uur 🙄"


@dataclass
class Stack:
    """Praatmee, the Cloud API stand-in and Meta's webhook sender, on one virtual clock."""

    service: Service
    client: TestClient
    fake: FakeWhatsApp
    clock: FakeClock
    meta: MetaWebhookSender
    #: Post the stand-in's status webhooks as Meta does, after every round of sends.
    statuses: bool = True

    async def settle(self) -> None:
        """Wait until every accepted message was handled, every due reply was handed to
        the stand-in, its status webhooks came back and its row settled.

        Messages are handled by the inbox's loop (or here, whoever claims them first);
        replies go out in a background task, or through the worker's own loop when it
        claimed them first; all are waited for.
        """
        assert self.service.runtime is not None and self.service.worker is not None
        assert self.service.intake is not None and self.service.inbox is not None
        for _ in range(1000):
            await self.service.intake.drain()
            if not (await self.service.inbox.counts())["pending"]:
                break
            await asyncio.sleep(0.005)
        else:
            raise AssertionError("the inbox did not empty")
        for _ in range(1000):
            await self.service.runtime.aclose()
            rows = await self.rows(outbox)
            if any(r["status"] == "sending" for r in rows):
                await asyncio.sleep(0.005)
                continue
            if self.statuses and (payloads := self.fake.status_payloads(batch=True)):
                for payload in payloads:
                    assert await self.meta.post(payload) == 200
                continue
            if not any(r["status"] == "pending" and r["due_at"] <= self.now() for r in rows):
                return
            await self.service.worker.drain()
        raise AssertionError("deliveries did not settle")

    async def drain(self, *, step: float = 2.0, rounds: int = 60) -> None:
        """Let virtual time pass and deliver until nothing is pending and due."""
        assert self.service.worker is not None and self.service.outbox is not None
        for _ in range(rounds):
            await self.settle()
            if not await _pending_due(self, self.clock.now + 3600):
                return
            self.clock.advance(step)
        raise AssertionError("outbox did not drain")

    def sent_to(self, user: wp.WaUser) -> list[SentMessage]:
        return [s for s in self.fake.sent if s.user_key == user.bsuid]

    async def rows(self, table: Any) -> list[Any]:
        assert self.service.db is not None
        return await rows(self.service.db, table)

    def pseudonym(self, user: wp.WaUser) -> str:
        assert self.service.runtime is not None
        return self.service.runtime._pseudo.pseudonym("whatsapp", user.bsuid)  # noqa: SLF001

    async def push(self, user: wp.WaUser, message: OutboundMessage, key: str) -> None:
        """A coach prompt or feedback outside any conversation: straight into the outbox."""
        assert self.service.db is not None and self.service.outbox is not None
        pseudonym = self.pseudonym(user)
        found = await AddressBook(self.service.db).get(pseudonym)
        assert found is not None, "participant has no stored address"
        channel, sealed = found
        item = OutboxItem(key, channel, sealed, encode(message), self.now(), pseudonym, BULK)
        assert await self.service.outbox.enqueue([item], self.now()) == 1

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now, UTC)


async def _pending_due(stack: Stack, before: float) -> int:
    rows = [r for r in await stack.rows(outbox) if r["status"] in ("pending", "sending")]
    limit = datetime.fromtimestamp(before, UTC)
    return sum(1 for r in rows if r["due_at"] <= limit)


@asynccontextmanager
async def praatmee(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    clock = FakeClock()

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    def pacer(pacing: Pacing) -> Pacer:
        return Pacer(pacing, clock=lambda: clock.now, sleep=virtual_sleep)

    monkeypatch.setattr(sender_module, "Pacer", pacer)
    fake = FakeWhatsApp({n: token for n, (_, token) in NUMBERS.items()}, clock=clock)
    async with TestServer(fake.app()) as api:
        numbers = [{"phone_number_id": n, "municipality": MUNICIPALITY[n], "access_token": token}
                   for n, (_, token) in NUMBERS.items()]
        settings = settings_for(
            backend, tmp_path, request,
            whatsapp_numbers=json.dumps(numbers),
            whatsapp_app_secret=APP_SECRET,
            whatsapp_verify_token=VERIFY_TOKEN,
            whatsapp_api_base_url=str(api.make_url("/" + fake.version)),
            whatsapp_templates=TEMPLATES,
            **overrides,
        )
        async with running(settings, clock=lambda: datetime.fromtimestamp(clock.now, UTC)) as (
            service, client,
        ):
            yield Stack(service, client, fake, clock, MetaWebhookSender(client, APP_SECRET))


@dataclass
class Participant:
    """One WhatsApp user talking to one business number, as Meta would deliver it."""

    stack: Stack
    user: wp.WaUser
    number: str = UTRECHT
    #: Message bodies received per turn (one list per message sent).
    turns: list[list[JSON]] = field(default_factory=list)
    _seen: int = 0

    async def _send(self, message: JSON) -> list[JSON]:
        payload = self.stack.fake.inbound(self.number, self.user, message)
        assert await self.stack.meta.post(payload) == 200
        await self.stack.settle()
        sent = self.stack.sent_to(self.user)
        new = [s.body for s in sent[self._seen:]]
        self._seen = len(sent)
        self.turns.append(new)
        self.stack.clock.advance(20)  # people take a while to read and tap
        return new

    async def say(self, text: str) -> list[JSON]:
        return await self._send(wp.text(self.user, text))

    async def pick(self, option: str) -> list[JSON]:
        """Press the button or list row whose engine id is ``option`` (question tags ignored)."""
        last = self.last_interactive()
        kind = last["interactive"]["type"]
        wamid = self.stack.sent_to(self.user)[-1].wamid
        for item in _choices(last):
            engine_id = item["id"].removeprefix("pm:")
            if engine_id == option or engine_id.endswith("." + option):
                if kind == "button":
                    return await self._send(wp.button_reply(self.user, item["id"], item["title"],
                                                            context_id=wamid))
                return await self._send(wp.list_reply(self.user, item["id"], item["title"],
                                                      context_id=wamid))
        raise AssertionError(f"no choice {option!r} in {_choices(last)}")

    def last_interactive(self) -> JSON:
        last = self.turns[-1][-1]
        assert last["type"] == "interactive", last
        return last

    @property
    def last_text(self) -> str:
        return _body_text(self.turns[-1][-1]) if self.turns and self.turns[-1] else ""


def _choices(body: JSON) -> list[JSON]:
    interactive = body["interactive"]
    if interactive["type"] == "button":
        return [b["reply"] for b in interactive["action"]["buttons"]]
    return [row for s in interactive["action"]["sections"] for row in s["rows"]]


def _body_text(body: JSON) -> str:
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    return ""


async def walk_dialogue(p: Participant, dialogue: Dialogue, open_text: str) -> dict[str, Any]:
    """Answer every question with taps where WhatsApp shows buttons or a list; type the rest."""
    answered: dict[str, Any] = {}
    for _ in range(40):
        last = p.turns[-1][-1]
        if last["type"] == "interactive" and any(
            c["id"] == "pm:_topic" for c in _choices(last)
        ):
            return answered  # back at the menu: the dialogue is done
        step = step_of(dialogue, p.last_text)
        assert step is not None, f"unknown bot message: {p.last_text!r}"
        if step.type is StepType.CONSENT:
            await p.pick("yes")
        elif step.type in (StepType.SINGLE_CHOICE, StepType.YES_NO, StepType.SCALE):
            ids = [c["id"].split(".", 1)[1] for c in _choices(p.last_interactive())]
            real = [i for i in ids if i != "_skip"]
            pick = real[-1] if step.type is StepType.SCALE else real[0]
            answered[step.id] = [pick]
            await p.pick(pick)
        elif step.type is StepType.MULTIPLE_CHOICE:
            # More than one answer: WhatsApp shows numbered text; type the numbers.
            assert p.turns[-1][-1]["type"] == "text"
            answered[step.id] = [o.id for o in step.options[:2]]
            await p.say("1,2")
        elif step.type is StepType.NUMBER:
            assert step.min is not None
            answered[step.id] = float(int(step.min) + 1)
            await p.say(str(int(step.min) + 1))
        elif step.type is StepType.OPEN_TEXT:
            answered[step.id] = open_text
            await p.say(open_text)
        else:
            raise AssertionError(f"message step waiting for input: {step.id}")
    raise AssertionError("dialogue did not end within 40 turns")


async def _linked_rows(stack: Stack) -> dict[str, int]:
    counts = {}
    for table in metadata.sorted_tables:
        counts[table.name] = len(await stack.rows(table))
    return counts


# --- a whole dialogue ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_participant_finishes_a_shipped_dialogue_on_whatsapp(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialogue = CATALOG.dialogues["vrije-tijd-buurt"]
    anne = wp.WaUser(bsuid="NL.1349120865530274", wa_id="31612345678", name="Anne")
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        p = Participant(stack, anne)
        await p.say("hoi")
        # Written to Velsen's own number: no question where Anne lives, the themes at once.
        menu = p.last_interactive()
        assert menu["interactive"]["type"] == "list"
        assert (await stack.rows(participants))[0]["municipality"] == "velsen"
        await p.pick(dialogue.id)
        answered = await walk_dialogue(p, dialogue, OPEN)

        # Every turn was answered, in as few bubbles as the runtime could merge to.
        assert all(1 <= len(turn) <= 2 for turn in p.turns), [len(t) for t in p.turns]
        assert sum(len(t) for t in p.turns) <= len(p.turns) + 2
        # Within Meta's limits: nothing refused, no pair-rate or throughput violation.
        assert stack.fake.errors == [] and not stack.fake.violations
        kinds = {b["interactive"]["type"] for t in p.turns for b in t if b["type"] == "interactive"}
        assert kinds == {"button", "list"}

        assert_stored(await stack.rows(answers), answered, dialogue.id, municipality="velsen",
                      planted=(PHONE, EMAIL), kept="de bus rijdt niet")
        assert [r["dialogue_id"] for r in await stack.rows(completions)] == [dialogue.id]

        # Exactly once: one stand-in message per delivered outbox row, nothing left over once
        # Meta's statuses came in. Each message is logged as sent twice: Praatmee's record of
        # the send, and Meta's "sent" status; then "delivered" and "read".
        wamids = [s.wamid for s in stack.sent_to(anne)]
        log = Counter((r["platform_message_id"], r["state"]) for r in await stack.rows(delivery_log))
        assert log == Counter({(w, state): 2 if state == "sent" else 1
                               for w in wamids for state in ("sent", "delivered", "read")})
        assert len(set(wamids)) == len(wamids)
        assert await stack.rows(outbox) == []

        # Nothing raw anywhere: no phone number, e-mail or WhatsApp id stored.
        for table in metadata.sorted_tables:
            dump = str(await stack.rows(table))
            for secret in (PHONE, EMAIL, anne.bsuid, str(anne.wa_id)):
                assert secret not in dump, (table.name, secret)
        assert stack.service.state is not None
        for key in await stack.service.state.keys(""):
            value = await stack.service.state.get(key) or ""
            assert anne.bsuid not in key + value and PHONE not in value


async def _enrolled(stack: Stack, name: str, n: int = 0) -> Participant:
    user = wp.WaUser(bsuid=f"NL.{hashlib.sha256(name.encode()).hexdigest()[:16]}",
                     wa_id=f"316{n:08d}", name=name)
    p = Participant(stack, user)
    await p.say("hoi")  # to Velsen's number: enrolled in Velsen at once
    return p


async def _snapshot(stack: Stack) -> tuple[dict[str, list[Any]], list[tuple[str, str | None]]]:
    assert stack.service.state is not None
    tables = {t.name: await stack.rows(t) for t in metadata.sorted_tables}
    keys = sorted(await stack.service.state.keys(""))
    return tables, [(k, await stack.service.state.get(k)) for k in keys]


# --- refusals leave no trace --------------------------------------------------------------------


def _shapeless(payload: JSON) -> list[bytes]:
    """Signed bodies that are not what Meta sends: each must be refused with 400."""
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    no_id = json.loads(json.dumps(payload))
    del no_id["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    return [
        b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[',  # cut off
        b"\xff\xfe not json at all",
        wp.meta_bytes({"object": "page", "entry": payload["entry"]}),
        wp.meta_bytes({"object": "whatsapp_business_account", "entry": {"changes": []}}),
        wp.meta_bytes(no_id),
        wp.meta_bytes({**payload, "entry": [{"id": "1", "changes": [{"field": "messages",
                                                                     "value": [message]}]}]}),
        wp.meta_bytes([payload]),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_refused_webhooks_leave_no_trace(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    bo = wp.WaUser(bsuid="NL.7781029384756201", name="Bo")
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        before = await _snapshot(stack)
        payload = stack.fake.inbound(UTRECHT, bo, wp.text(bo, f"hoi, mijn nummer is {PHONE}"))
        assert await stack.meta.post(payload, signature="missing") == 401
        assert await stack.meta.post(payload, signature="bad") == 403
        assert await stack.meta.post(payload, signature="reserialised") == 403
        for body in _shapeless(payload):
            assert await stack.meta.post(body) == 400, body[:80]
        await stack.settle()
        assert await _snapshot(stack) == before
        assert stack.fake.sent == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_same_wamid_twice_is_handled_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        p = await _enrolled(stack, "Sem")
        await p.pick("vrije-tijd-buurt")
        await p.pick("yes")
        question = p.last_interactive()
        row = _choices(question)[0]
        press = wp.list_reply(p.user, row["id"], row["title"],
                              context_id=stack.sent_to(p.user)[-1].wamid)
        body = wp.meta_bytes(stack.fake.inbound(UTRECHT, p.user, press))
        before = len(stack.fake.sent)
        # Meta's redelivery (same bytes), then the same wamid batched with itself.
        assert await stack.meta.post(body) == 200
        assert await stack.meta.post(body) == 200
        assert await stack.meta.post(stack.fake.inbound(UTRECHT, p.user, press, press)) == 200
        await stack.settle()
        assert len(await stack.rows(answers)) == 1
        assert len(stack.fake.sent) == before + 1  # one reply: the next question


# --- status webhooks ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_status_webhooks_reach_the_delivery_log(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        stack.statuses = False
        p = await _enrolled(stack, "Lina")
        wamids = [s.wamid for s in stack.sent_to(p.user)]
        # Sent, and waiting for Meta's word on it (a refusal can still come).
        kept = {r["platform_message_id"] for r in await stack.rows(outbox) if r["status"] == "sent"}
        assert kept == set(wamids)
        (batch,) = stack.fake.status_payloads(batch=True)
        assert await stack.meta.post(batch) == 200
        assert await stack.rows(outbox) == []  # confirmed: nothing of them is kept
        pseudonym = stack.pseudonym(p.user)
        log = await stack.rows(delivery_log)
        for wamid in wamids:
            states = sorted(r["state"] for r in log if r["platform_message_id"] == wamid)
            assert states == ["delivered", "read", "sent", "sent"]
            assert {r["pseudonym"] for r in log if r["platform_message_id"] == wamid} == {pseudonym}
        (row,) = [r for r in await stack.rows(participants) if r["pseudonym"] == pseudonym]
        assert not row["unreachable"]


# --- the 24-hour window -------------------------------------------------------------------------

DAY = 24 * 3600


def _template_of(sent: SentMessage) -> tuple[str, str, list[str]]:
    template = sent.body["template"]
    params = [p["text"] for c in template.get("components", []) for p in c["parameters"]]
    return template["name"], template["language"]["code"], params


#: Meta refuses free-form text outside the window in the send's answer ("sync"), or
#: accepts it and sends a ``failed`` status with 131047 afterwards ("async"), which is
#: what the Cloud API usually does.
WINDOW_ERRORS = ["sync", "async"]


def _free_form_outside_window(stack: Stack) -> int:
    """Free-form sends the stand-in refused as outside the window, at once or in a status."""
    refused_at_once = sum(1 for code, _ in stack.fake.errors if code == 131047)
    return refused_at_once + len(stack.fake.failed_wamids)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("window", WINDOW_ERRORS)
async def test_prompt_after_the_window_closed_goes_out_as_its_template(
    backend: str, window: str, tmp_path: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Praatmee keeps the window itself: no free-form text is even tried after 24 hours."""
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        stack.fake.window_errors = window  # type: ignore[assignment]
        p = await _enrolled(stack, "Noor")
        stack.clock.advance(DAY + 60)
        before = len(stack.sent_to(p.user))
        prompt = OutboundMessage("Nieuwe vraag: hoe was de zomer in je buurt?", bulk=True,
                                 template="prompt", template_params=("Velsen",))
        await stack.push(p.user, prompt, "prompt-1")
        await stack.drain()
        sent = stack.sent_to(p.user)[before:]
        assert [s.body["type"] for s in sent] == ["template"]
        assert _template_of(sent[0]) == ("praatmee_nieuwe_vraag", "nl", ["Velsen"])
        assert _free_form_outside_window(stack) == 0
        assert stack.service.worker is not None and stack.service.worker.counts()["as_template"] == 1
        assert await stack.rows(outbox) == []
        assert [r for r in await stack.rows(delivery_log) if r["state"] == "failed"] == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_each_message_reopens_the_window_for_free_form_text(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window runs from their last message, not from enrolment."""
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        stack.fake.window_errors = "async"  # type: ignore[assignment]
        p = await _enrolled(stack, "Lotte")
        stack.clock.advance(20 * 3600)
        await p.say("hoi")
        await stack.drain()
        stack.clock.advance(20 * 3600)  # 40 hours after enrolment, 20 after "hoi"
        before = len(stack.sent_to(p.user))
        text = "Nieuwe vraag: hoe was de zomer in je buurt?"
        await stack.push(p.user, OutboundMessage(text, bulk=True, template="prompt",
                                                 template_params=("Velsen",)), "prompt-open")
        await stack.drain()
        sent = stack.sent_to(p.user)[before:]
        assert [(s.body["type"], _body_text(s.body)) for s in sent] == [("text", text)]
        assert _free_form_outside_window(stack) == 0
        assert await stack.rows(outbox) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_message_without_template_is_held_counted_and_released_when_they_write(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="bot.delivery.worker")
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        stack.fake.window_errors = "async"  # type: ignore[assignment]
        p = await _enrolled(stack, "Daan")
        stack.clock.advance(2 * DAY)
        feedback = OutboundMessage("De gemeente zet meer bankjes in het park. Dank je!", bulk=True)
        await stack.push(p.user, feedback, "feedback-1")
        before = len(stack.sent_to(p.user))
        await stack.drain()
        assert len(stack.sent_to(p.user)) == before  # not sent into the closed window ...
        assert stack.service.worker is not None and stack.service.worker.held == 1  # ... counted
        assert "held" in caplog.text  # ... logged
        (row,) = [r for r in await stack.rows(outbox) if r["status"] == "pending"]  # ... kept
        assert row["last_error"].startswith("held")
        # Looked at again later, it is still not sent as free-form text into a closed window.
        stack.clock.advance(7 * 3600)
        await stack.drain()
        assert len(stack.sent_to(p.user)) == before and stack.service.worker.held == 2
        assert _free_form_outside_window(stack) == 0

        await p.say("hoi")  # a new 24-hour window
        await stack.drain()
        bodies = [_body_text(s.body) for s in stack.sent_to(p.user)[before:]]
        # The answer to "hoi" first, then the message that waited, once.
        assert len(bodies) == 2 and bodies[1] == feedback.text
        assert _free_form_outside_window(stack) == 0
        assert await stack.rows(outbox) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_131047_for_a_reply_reroutes_to_the_template_path(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Meta's "rare case": a message arrived, yet the reply is refused as outside the window."""
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        p = await _enrolled(stack, "Ilse")
        stack.fake.fail(p.user.bsuid, 131047, times=2)
        before = len(stack.sent_to(p.user))
        prompt = OutboundMessage("Er staat een nieuwe vraag voor je klaar.", bulk=True,
                                 template="feedback", template_params=("Velsen",))
        await stack.push(p.user, prompt, "feedback-2")
        await p.say("help")  # the reply has no template: it waits for the next message
        await stack.drain()
        sent = stack.sent_to(p.user)[before:]
        assert [s.body["type"] for s in sent] == ["template"]
        assert _template_of(sent[0])[0] == "praatmee_terugkoppeling"
        assert stack.service.worker is not None and stack.service.worker.held == 1
        await p.say("hallo")
        await stack.drain()
        texts = [_body_text(s.body) for s in stack.sent_to(p.user)[before + 1:]]
        # The reply to "hallo" goes at once; the held reply to "help" follows, once.
        assert len(texts) == 2 and "Zo werkt het" not in texts[0]
        assert texts[1].startswith("Zo werkt het")
        assert await stack.rows(outbox) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_late_131047_in_a_status_webhook_reroutes_to_the_template_path(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual form: Meta accepts the message, then reports it failed with 131047."""
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        p = await _enrolled(stack, "Sem")
        stack.fake.fail(p.user.bsuid, 131047, times=1, asynchronous=True)
        before = len(stack.sent_to(p.user))
        prompt = OutboundMessage("Er staat een nieuwe vraag voor je klaar.", bulk=True,
                                 template="feedback", template_params=("Velsen",))
        await stack.push(p.user, prompt, "feedback-3")
        await stack.drain()
        sent = stack.sent_to(p.user)[before:]
        assert [s.body["type"] for s in sent] == ["text", "template"]
        assert sent[0].wamid in stack.fake.failed_wamids and sent[1].wamid not in stack.fake.failed_wamids
        assert _template_of(sent[1])[0] == "praatmee_terugkoppeling"
        # Meta redelivers the failed status: it does not send the template a second time.
        assert await stack.meta.post(wp.envelope(wp.entry(wp.value(
            UTRECHT, statuses=[wp.status(sent[0].wamid, "failed", p.user, error_code=131047)])))) == 200
        await stack.drain()
        assert len(stack.sent_to(p.user)) == before + 2
        assert await stack.rows(outbox) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_late_passing_failure_is_sent_again_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        p = await _enrolled(stack, "Tess")
        stack.fake.fail(p.user.bsuid, 131000, times=1, asynchronous=True)
        before = len(stack.sent_to(p.user))
        text = "Nieuwe vraag van je gemeente: doe je mee?"
        await stack.push(p.user, OutboundMessage(text, bulk=True), "poll-late")
        await stack.drain()
        sent = stack.sent_to(p.user)[before:]
        assert [_body_text(s.body) for s in sent] == [text, text]
        assert [s.wamid in stack.fake.failed_wamids for s in sent] == [True, False]
        assert await stack.rows(outbox) == []


# --- throughput and pair rate -------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_burst_of_130429_is_survived_with_every_message_delivered_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        people = [await _enrolled(stack, f"deelnemer{i}", i) for i in range(8)]
        stack.fake.throughput = 2  # the number is far slower than Praatmee's pacing assumes
        text = "Nieuwe vraag van je gemeente: doe je mee?"
        for i, p in enumerate(people):
            await stack.push(p.user, OutboundMessage(text, bulk=True), f"poll-{i}")
        await stack.drain()
        assert stack.fake.violations[130429] > 0
        for p in people:
            assert [_body_text(s.body) for s in stack.sent_to(p.user)].count(text) == 1
        assert await stack.rows(outbox) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_131056_holds_only_that_recipient(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        ava, ben = await _enrolled(stack, "Ava", 1), await _enrolled(stack, "Ben", 2)
        stack.clock.advance(60)
        stack.fake.fail(ava.user.bsuid, 131056, times=1)
        text = "Er is een nieuwe flitspeiling."
        await stack.push(ava.user, OutboundMessage(text, bulk=True), "flash-ava")
        await stack.settle()
        await stack.service.worker.drain()  # type: ignore[union-attr]
        started = stack.clock.now
        await stack.push(ben.user, OutboundMessage(text, bulk=True), "flash-ben")
        await stack.service.worker.drain()  # type: ignore[union-attr]
        assert _body_text(stack.sent_to(ben.user)[-1].body) == text  # Ben is not held up
        assert stack.clock.now - started < 1.0
        assert _body_text(stack.sent_to(ava.user)[-1].body) != text  # Ava waits ...
        await stack.drain()
        assert [_body_text(s.body) for s in stack.sent_to(ava.user)].count(text) == 1  # ... once
        assert [c for c, _ in stack.fake.errors] == [131056]


# --- stop and block -----------------------------------------------------------------------------


STOP_FORMS = ["stop", "STOP", "Stop!", "  stoppen ", "/stop", "Afmelden", "unsubscribe", "quit."]


@pytest.mark.parametrize("form", STOP_FORMS)
async def test_stop_in_any_form_ends_all_sending(
    form: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with praatmee("embedded", tmp_path, request, monkeypatch) as stack:
        p = await _enrolled(stack, "Mo")
        await p.pick("vrije-tijd-buurt")
        await p.pick("yes")
        await stack.push(p.user, OutboundMessage("Nog een vraag voor je!", bulk=True), "queued")
        await p.say(form)
        assert "gestopt" in p.last_text
        await stack.drain()
        before = len(stack.sent_to(p.user))
        await stack.push(p.user, OutboundMessage("Nieuwe vraag!", bulk=True, template="prompt"),
                         "after-stop")
        stack.clock.advance(2 * DAY)
        await stack.drain()
        assert len(stack.sent_to(p.user)) == before
        assert "Nog een vraag voor je!" not in [_body_text(s.body) for s in stack.sent_to(p.user)]


async def test_stop_pressed_on_a_template_quick_reply_ends_all_sending(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with praatmee("embedded", tmp_path, request, monkeypatch) as stack:
        p = await _enrolled(stack, "Fenna")
        stack.clock.advance(2 * DAY)
        await stack.push(p.user, OutboundMessage("Nieuwe vraag", bulk=True, template="prompt"),
                         "prompt")
        await stack.drain()
        template = stack.sent_to(p.user)[-1]
        assert template.body["type"] == "template"
        await p._send(wp.template_button(p.user, "Stop", "Stop", context_id=template.wamid))
        assert "gestopt" in p.last_text
        before = len(stack.sent_to(p.user))
        await stack.push(p.user, OutboundMessage("Nog een", bulk=True, template="prompt"), "next")
        await stack.drain()
        assert len(stack.sent_to(p.user)) == before


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", ["status webhook", "send refused"])
async def test_whatsapp_block_marks_unreachable_and_ends_all_sending(
    backend: str, how: str, tmp_path: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with praatmee(backend, tmp_path, request, monkeypatch) as stack:
        p = await _enrolled(stack, "Yara")
        stack.fake.fail(p.user.bsuid, 131026, asynchronous=how == "status webhook")
        await stack.push(p.user, OutboundMessage("Eerste", bulk=True), "one")
        await stack.settle()  # with Meta's status webhooks
        if how == "status webhook":
            failed = [r for r in await stack.rows(delivery_log) if r["state"] == "failed"]
            assert [r["error_code"] for r in failed] == [131026]
            (kept,) = [r for r in await stack.rows(outbox) if r["idempotency_key"] == "one"]
            assert (kept["status"], kept["address_enc"]) == ("failed", "")
        pseudonym = stack.pseudonym(p.user)
        (row,) = [r for r in await stack.rows(participants) if r["pseudonym"] == pseudonym]
        assert row["unreachable"] and not row["active"]
        attempts = len(stack.fake.sent) + len(stack.fake.errors)
        await stack.push(p.user, OutboundMessage("Tweede", bulk=True), "two")
        await stack.push(p.user, OutboundMessage("Derde", bulk=True, template="prompt"), "three")
        stack.clock.advance(2 * DAY)
        await stack.drain()
        assert len(stack.fake.sent) + len(stack.fake.errors) == attempts
        assert stack.service.worker is not None and stack.service.worker.dropped == 2
        assert [r for r in await stack.rows(outbox) if r["status"] != "failed"] == []
