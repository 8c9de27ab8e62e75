"""The WhatsApp Cloud API stand-in keeps to Meta's documented protocol.

These tests pin the stand-in itself, so adapter tests that pass against it
mean something: limits are enforced, errors come in the Graph envelope keyed
by code, windows and throttles follow the clock, webhooks are signed as Meta
signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.support import whatsapp_payloads as wp
from tests.support.fake_whatsapp import (
    FakeClock,
    FakeWhatsApp,
    MetaWebhookSender,
    StatusPlan,
)

NUMBER = "106540352242922"
TOKEN = "token-a"
ANNE = wp.WaUser(bsuid="NL.1349120865530274", wa_id="31612345678", name="Anne")
BO = wp.WaUser(bsuid="NL.7781029384756201", name="Bo")  # username only, no phone number


class Api:
    def __init__(self, fake: FakeWhatsApp, client: TestClient[Any, Any]) -> None:
        self.fake = fake
        self.client = client

    async def post(self, body: dict[str, Any], *, token: str = TOKEN,
                   number: str = NUMBER) -> tuple[int, dict[str, Any]]:
        response = await self.client.post(
            f"/v25.0/{number}/messages", json=body,
            headers={"Authorization": f"Bearer {token}"})
        return response.status, await response.json()

    async def send(self, body: dict[str, Any], user: wp.WaUser = ANNE,
                   **kwargs: Any) -> tuple[int, dict[str, Any]]:
        target = {"to": user.wa_id} if user.wa_id else {"recipient": user.bsuid}
        return await self.post({"messaging_product": "whatsapp", **target, **body}, **kwargs)


def text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body}}


def buttons(*titles: str, body: str = "Vraag?") -> dict[str, Any]:
    items = [{"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)]
    return {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": body}, "action": {"buttons": items}}}


def list_message(*sections: list[dict[str, Any]], button: str = "Kies") -> dict[str, Any]:
    return {"type": "interactive", "interactive": {
        "type": "list", "body": {"text": "Vraag?"},
        "action": {"button": button,
                   "sections": [{"title": f"Deel {i}", "rows": rows}
                                for i, rows in enumerate(sections)]}}}


def rows(n: int, start: int = 0, **extra: str) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "title": f"Optie {i}", **extra} for i in range(start, start + n)]


def template() -> dict[str, Any]:
    return {"type": "template", "template": {
        "name": "terugkoppeling", "language": {"code": "nl"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Jeugd"}]}]}}


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    fake = FakeWhatsApp({NUMBER: TOKEN}, clock=FakeClock())
    fake.open_window(NUMBER, ANNE)
    fake.open_window(NUMBER, BO)
    async with TestClient(TestServer(fake.app())) as client:
        yield Api(fake, client)


def code_of(answer: dict[str, Any]) -> int:
    return int(answer["error"]["code"])


async def test_bad_token_gets_code_190_in_the_graph_envelope(api: Api) -> None:
    status, answer = await api.send(text("hoi"), token="wrong")
    assert status == 401
    error = answer["error"]
    assert error["code"] == 190 and error["type"] == "OAuthException"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert error["fbtrace_id"] and "details" in error["error_data"]
    assert api.fake.sent == []


async def test_accepted_send_returns_contact_and_unique_wamid(api: Api) -> None:
    first = await api.send(text("hoi"))
    second = await api.send(text("hoi"), user=BO)
    assert first[0] == second[0] == 200
    assert first[1]["messaging_product"] == "whatsapp"
    assert first[1]["contacts"] == [{"input": ANNE.wa_id, "wa_id": ANNE.wa_id,
                                     "user_id": ANNE.bsuid}]
    ids = {first[1]["messages"][0]["id"], second[1]["messages"][0]["id"]}
    assert len(ids) == 2 and all(i.startswith("wamid.") for i in ids)
    assert [s.user_key for s in api.fake.sent] == [ANNE.bsuid, BO.bsuid]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "text", "text": {"body": "x" * 4097}}, 100),
        ({"type": "text", "text": {"body": "😀" * 2049}}, 100),  # 4098 UTF-16 units
        ({"type": "video", "video": {"id": "1"}}, 100),
        (buttons("Ja", "Nee", "Weet niet", "Misschien"), 131009),
        (buttons("Een titel die te lang is"), 131009),
        (buttons("Ja", "Ja"), 131009),
        (buttons("Ja", body="x" * 1025), 131009),
        (list_message(rows(6), rows(5, start=6)), 131009),
        (list_message([{"id": "r", "title": "y" * 25}]), 131009),
        (list_message([{"id": "r", "title": "y", "description": "d" * 73}]), 131009),
        (list_message(rows(2), button="Kies een van de opties"), 131009),
        ({"type": "template", "template": {"name": "x"}}, 100),
    ],
)
async def test_limits_are_enforced(api: Api, body: dict[str, Any], code: int) -> None:
    status, answer = await api.send(body)
    assert status == 400
    assert code_of(answer) == code
    assert api.fake.sent == []


async def test_limits_at_the_edge_are_accepted(api: Api) -> None:
    assert (await api.send(text("😀" * 2048)))[0] == 200
    assert (await api.send(buttons("Ja", "Nee", "x" * 20, body="b" * 1024)))[0] == 200
    assert (await api.send(list_message(rows(6), rows(4, start=6, description="d" * 72))))[0] == 200


async def test_recipient_and_product_are_required(api: Api) -> None:
    status, answer = await api.post({"messaging_product": "whatsapp", **text("hoi")})
    assert (status, code_of(answer)) == (400, 100)
    status, answer = await api.post({"to": ANNE.wa_id, **text("hoi")})
    assert (status, code_of(answer)) == (400, 100)
    status, answer = await api.post({"messaging_product": "whatsapp", "recipient": "31612345678",
                                     **text("hoi")})
    assert (status, code_of(answer)) == (400, 100)


async def test_window_opens_on_inbound_and_closes_after_24_hours(api: Api) -> None:
    carol = wp.WaUser(bsuid="NL.555", wa_id="31600000003")
    api.fake.add_user(carol)
    status, answer = await api.send(text("hoi"), user=carol)
    assert (status, code_of(answer)) == (400, 131047)
    api.fake.inbound(NUMBER, carol, wp.text(carol, "hallo"))
    assert (await api.send(text("hoi"), user=carol))[0] == 200
    api.fake.clock.advance(24 * 3600 - 1)
    assert (await api.send(text("nog steeds"), user=carol))[0] == 200
    api.fake.clock.advance(2)
    status, answer = await api.send(text("te laat"), user=carol)
    assert (status, code_of(answer)) == (400, 131047)
    assert (await api.send(template(), user=carol))[0] == 200


async def test_window_error_can_come_as_a_failed_status_webhook(api: Api) -> None:
    api.fake.window_errors = "async"
    api.fake.clock.advance(25 * 3600)
    status, answer = await api.send(text("hoi"))
    assert status == 200
    (payload,) = api.fake.status_payloads()
    (item,) = payload["entry"][0]["changes"][0]["value"]["statuses"]
    assert item["id"] == answer["messages"][0]["id"]
    assert item["status"] == "failed" and item["errors"][0]["code"] == 131047


async def test_pair_rate_allows_a_burst_then_refuses_with_131056(api: Api) -> None:
    results = [(await api.send(text(f"{i}")))[0] for i in range(6)]
    assert results == [200] * 5 + [400]
    assert api.fake.errors[-1][0] == 131056
    assert api.fake.violations[131056] == 1
    assert (await api.send(text("ander"), user=BO))[0] == 200  # other users unaffected
    api.fake.clock.advance(6)
    assert (await api.send(text("weer"), user=ANNE))[0] == 200


async def test_number_throughput_refuses_with_130429(api: Api) -> None:
    api.fake.throughput = 3
    users = [wp.WaUser(bsuid=f"NL.{i}", wa_id=f"3161000000{i}") for i in range(4)]
    for user in users:
        api.fake.open_window(NUMBER, user)
    results = [(await api.send(text("hoi"), user=u)) for u in users]
    assert [r[0] for r in results] == [200, 200, 200, 400]
    assert code_of(results[-1][1]) == 130429
    assert api.fake.violations[130429] == 1
    api.fake.clock.advance(1)
    assert (await api.send(text("hoi"), user=users[3]))[0] == 200


@pytest.mark.parametrize("code", [131026, 131049, 131050, 130403, 131000])
async def test_scripted_codes_per_recipient(api: Api, code: int) -> None:
    api.fake.fail(ANNE.bsuid, code, times=1)
    status, answer = await api.send(text("hoi"))
    assert code_of(answer) == code and status >= 400
    assert (await api.send(text("hoi"), user=BO))[0] == 200
    assert (await api.send(text("hoi")))[0] == 200  # used up


async def test_scripted_code_can_arrive_asynchronously(api: Api) -> None:
    api.fake.fail(ANNE.wa_id or "", 131026, asynchronous=True)
    status, _ = await api.send(text("hoi"))
    assert status == 200
    (payload,) = api.fake.status_payloads()
    (item,) = payload["entry"][0]["changes"][0]["value"]["statuses"]
    assert (item["status"], item["errors"][0]["code"]) == ("failed", 131026)


async def test_mark_read_with_typing_indicator(api: Api) -> None:
    status, answer = await api.post({"messaging_product": "whatsapp", "status": "read",
                                     "message_id": "wamid.ABC",
                                     "typing_indicator": {"type": "text"}})
    assert (status, answer) == (200, {"success": True})
    assert api.fake.read_marks == [(NUMBER, "wamid.ABC", True)]


def statuses_of(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for p in payloads for e in p["entry"] for c in e["changes"]
            for s in c["value"]["statuses"]]


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (StatusPlan(), ["sent", "delivered", "read"]),
        (StatusPlan(skip_delivered=True), ["sent", "read"]),
        (StatusPlan(reorder=True), ["read", "delivered", "sent"]),
        (StatusPlan(last="delivered"), ["sent", "delivered"]),
        (StatusPlan(fail_code=131026), ["failed"]),
    ],
)
async def test_status_lifecycle_switches(api: Api, plan: StatusPlan, expected: list[str]) -> None:
    api.fake.status_plan = plan
    _, answer = await api.send(text("hoi"))
    items = statuses_of(api.fake.status_payloads())
    assert [s["status"] for s in items] == expected
    for item in items:
        assert item["id"] == answer["messages"][0]["id"]
        assert item["recipient_id"] == ANNE.wa_id
        assert item["recipient_user_id"] == ANNE.bsuid
        assert item["pricing"]["pricing_model"] == "PMP"


async def test_statuses_batch_into_one_post_or_one_per_status(api: Api) -> None:
    await api.send(text("a"))
    await api.send(text("b"), user=BO)
    batched = api.fake.status_payloads(batch=True)
    assert len(batched) == 1 and len(statuses_of(batched)) == 6
    assert "recipient_id" not in statuses_of(batched)[-1]  # Bo has no phone number
    await api.send(text("c"), user=BO)
    assert len(api.fake.status_payloads(batch=False)) == 3


# --- the webhook sender ------------------------------------------------------

class Receiver:
    """A minimal endpoint that records what Meta's sender posts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[str | None] = []
        self.fail_first = fail_first

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        self.headers.append(request.headers.get("X-Hub-Signature-256"))
        return web.Response(status=500 if len(self.bodies) <= self.fail_first else 200)

    async def verify(self, request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(dict(request.query)))


async def receiver_client(receiver: Receiver) -> TestClient[Any, Any]:
    app = web.Application()
    app.router.add_post("/webhooks/whatsapp", receiver.handle)
    app.router.add_get("/webhooks/whatsapp", receiver.verify)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_sender_signs_exact_bytes_with_escaped_non_ascii() -> None:
    receiver = Receiver()
    client = await receiver_client(receiver)
    try:
        sender = MetaWebhookSender(client, "geheim")
        payload = wp.inbound(NUMBER, ANNE, wp.text(ANNE, "Café in de buurt ✨ https://x.nl/a"))
        assert await sender.post(payload) == 200
        body = receiver.bodies[0]
        assert b"Caf\\u00e9" in body and b"\\u2728" in body and b"https:\\/\\/x.nl" in body
        assert body.isascii()
        expected = hmac.new(b"geheim", body, hashlib.sha256).hexdigest()
        assert receiver.headers[0] == f"sha256={expected}"
        await sender.post(payload, signature="missing")
        await sender.post(payload, signature="bad")
        assert receiver.headers[1] is None and receiver.headers[2] != receiver.headers[0]
        status, query = await sender.handshake("t0k3n")
        assert status == 200
        assert json.loads(query) == {"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                     "hub.verify_token": "t0k3n"}
    finally:
        await client.close()


async def test_sender_redelivers_same_bytes_with_backoff() -> None:
    receiver = Receiver(fail_first=3)
    client = await receiver_client(receiver)
    try:
        sender = MetaWebhookSender(client, "geheim")
        statuses = await sender.deliver(wp.inbound(NUMBER, ANNE, wp.text(ANNE, "hoi")))
        assert statuses == [500, 500, 500, 200]
        assert len(set(receiver.bodies)) == 1
        assert sender.delays == [1.0, 4.0, 16.0]
    finally:
        await client.close()
