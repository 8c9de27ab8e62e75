"""Sending through the WhatsApp channel: rendering within Meta's limits, errors, routing.

The stand-in validates every body against Meta's documented limits, so a
render that breaks a limit fails here with Graph error 100/131009.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.channels.base import TemplateMessage
from bot.channels.whatsapp import WhatsAppChannel, WhatsAppNumber, WhatsAppSettings
from bot.channels.whatsapp._errors import map_graph_error
from bot.errors import (
    BadRequest,
    ChannelError,
    ConfigError,
    Forbidden,
    OutsideWindow,
    RetryAfter,
    TransientError,
)
from bot.messages import Choice, ChoiceStyle, Expect, OutboundMessage
from tests.support import whatsapp_payloads as wp
from tests.support.fake_whatsapp import (
    NUMBERS,
    UTRECHT,
    ZEIST,
    RecordingSink,
    WhatsAppHarness,
    whatsapp_harness,
)

ANNE = wp.WaUser(bsuid="NL.1349120865530274", wa_id="31612345678", name="Anne")
BO = wp.WaUser(bsuid="NL.7781029384756201", name="Bo")
TO_ANNE = f"{UTRECHT}:{ANNE.bsuid}"

LABELS = [
    "Meer groen en sportplekken in de wijk 🌳🏀",
    "Veiliger fietsen naar school 🚲",
    "Een plek om te chillen met vrienden 👩‍👩‍👧‍👦",
    "Minder afval op straat",
    "Betere bus 's avonds 🚌🌙",
    "Hulp bij geldzaken (schulden, toeslagen) 💶",
    "Werk of stage vinden",
    "Meer te doen in het weekend 🎉",
    "Mentale gezondheid 🧠",
    "Iets anders",
    "Betaalbare woningen voor jongeren 🏠",
    "Ik weet het niet",
]


@pytest.fixture
async def wa() -> AsyncIterator[WhatsAppHarness]:
    async with whatsapp_harness() as harness:
        harness.fake.open_window(UTRECHT, ANNE)
        harness.fake.open_window(ZEIST, BO)
        yield harness


def choices(n: int) -> tuple[Choice, ...]:
    return tuple(Choice(f"c{i}", LABELS[i]) for i in range(n))


def interactive(wa: WhatsAppHarness) -> dict[str, Any]:
    return wa.fake.sent[-1].body["interactive"]  # type: ignore[no-any-return]


async def test_plain_text_goes_to_the_phone_number_or_bsuid(wa: WhatsAppHarness) -> None:
    receipt = await wa.channel.send(TO_ANNE, OutboundMessage("Fijn dat je meedoet! 😊"))
    (sent,) = wa.fake.sent
    assert sent.wamid == receipt.platform_message_id
    assert sent.body["recipient"] == ANNE.bsuid and "to" not in sent.body
    assert sent.body["text"]["body"] == "Fijn dat je meedoet! 😊"
    await wa.channel.send(f"{UTRECHT}:{ANNE.wa_id}", OutboundMessage("hoi"))
    assert wa.fake.sent[-1].body["to"] == ANNE.wa_id
    assert {s.user_key for s in wa.fake.sent} == {ANNE.bsuid}


async def test_reply_goes_out_from_the_number_in_the_address(wa: WhatsAppHarness) -> None:
    await wa.channel.send(f"{ZEIST}:{BO.bsuid}", OutboundMessage("Hoi Bo"))
    assert wa.fake.sent[-1].phone_number_id == ZEIST
    await wa.channel.send(TO_ANNE, OutboundMessage("Hoi Anne"))
    assert wa.fake.sent[-1].phone_number_id == UTRECHT


async def test_two_choices_become_reply_buttons(wa: WhatsAppHarness) -> None:
    message = OutboundMessage("Doe je mee?", (Choice("ja", "Ja, leuk!"), Choice("nee", "Nee")),
                              expect=Expect.CHOICE)
    await wa.channel.send(TO_ANNE, message)
    body = interactive(wa)
    assert body["type"] == "button"
    assert [(b["reply"]["id"], b["reply"]["title"]) for b in body["action"]["buttons"]] == [
        ("pm:ja", "Ja, leuk!"), ("pm:nee", "Nee")]


async def test_button_titles_are_cut_at_words_and_keep_emoji_whole(wa: WhatsAppHarness) -> None:
    message = OutboundMessage("Wat wil je?", choices(3), expect=Expect.CHOICE)
    await wa.channel.send(TO_ANNE, message)
    titles = [b["reply"]["title"] for b in interactive(wa)["action"]["buttons"]]
    assert titles == ["Meer groen en…", "Veiliger fietsen…", "Een plek om te…"]


async def test_pressed_button_comes_back_as_the_engine_choice(wa: WhatsAppHarness) -> None:
    await wa.channel.send(TO_ANNE, OutboundMessage("Doe je mee?", choices(2),
                                                   expect=Expect.CHOICE))
    button = interactive(wa)["action"]["buttons"][1]["reply"]
    reply = wp.button_reply(ANNE, button["id"], button["title"],
                            context_id=wa.fake.sent[-1].wamid)
    assert await wa.meta.post(wa.fake.inbound(UTRECHT, ANNE, reply)) == 200
    assert wa.sink.accepted[-1].choice_ids == ("c1",)


async def test_five_choices_become_a_list_with_descriptions(wa: WhatsAppHarness) -> None:
    await wa.channel.send(TO_ANNE, OutboundMessage("Wat vind je belangrijk?", choices(5),
                                                   expect=Expect.CHOICE))
    body = interactive(wa)
    assert body["type"] == "list" and body["action"]["button"] == "Kies"
    rows = body["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"pm:c{i}" for i in range(5)]
    first = rows[0]
    assert first["title"] == "Meer groen en"
    assert first["description"] == "sportplekken in de wijk 🌳🏀"
    assert rows[3] == {"id": "pm:c3", "title": "Minder afval op straat"}


async def test_scale_with_three_options_is_a_list(wa: WhatsAppHarness) -> None:
    scale = tuple(Choice(str(i), label) for i, label in
                  enumerate(["😞 slecht", "😐 gaat wel", "😀 goed"]))
    await wa.channel.send(TO_ANNE, OutboundMessage("Hoe gaat het?", scale,
                                                   style=ChoiceStyle.SCALE))
    assert interactive(wa)["type"] == "list"


async def test_twelve_choices_become_numbered_text(wa: WhatsAppHarness) -> None:
    await wa.channel.send(TO_ANNE, OutboundMessage("Kies een onderwerp", choices(12),
                                                   expect=Expect.CHOICE))
    text = wa.fake.sent[-1].body["text"]["body"]
    assert text.startswith("Kies een onderwerp\n\n1. Meer groen")
    assert "12. Ik weet het niet" in text
    assert "nummer" in text


async def test_multi_choice_asks_for_numbers(wa: WhatsAppHarness) -> None:
    await wa.channel.send(TO_ANNE, OutboundMessage("Wat doe je graag?", choices(3),
                                                   expect=Expect.MULTI_CHOICE))
    text = wa.fake.sent[-1].body["text"]["body"]
    assert "1. Meer groen" in text and "3. Een plek" in text
    assert "nummers" in text


async def test_clashing_button_titles_fall_back_to_a_list(wa: WhatsAppHarness) -> None:
    same_start = (Choice("a", "Ik ben het helemaal eens"),
                  Choice("b", "Ik ben het helemaal oneens"))
    await wa.channel.send(TO_ANNE, OutboundMessage("Eens?", same_start))
    rows = interactive(wa)["action"]["sections"][0]["rows"]
    assert {r["title"] for r in rows} == {"Ik ben het helemaal eens", "Ik ben het helemaal"}
    assert rows[1]["description"] == "oneens"


async def test_long_body_is_split_on_sentences_with_choices_last(wa: WhatsAppHarness) -> None:
    sentence = "Dit is een lange uitleg over het plan van de gemeente voor jongeren. "
    body = sentence * 30  # about 2100 characters: over the 1024 of a button body
    await wa.channel.send(TO_ANNE, OutboundMessage(body, choices(2), expect=Expect.CHOICE))
    parts = wa.fake.sent
    assert len(parts) >= 3
    assert all(p.body["type"] == "text" for p in parts[:-1])
    assert parts[-1].body["type"] == "interactive"
    texts = [p.body["text"]["body"] for p in parts[:-1]] + [interactive(wa)["body"]["text"]]
    assert all(t.endswith("jongeren.") for t in texts)
    assert " ".join(texts) == body.strip()


async def test_very_long_text_is_split_under_4096(wa: WhatsAppHarness) -> None:
    body = "\n\n".join(f"Punt {i}: " + "bla " * 120 for i in range(12))
    await wa.channel.send(TO_ANNE, OutboundMessage(body))
    assert len(wa.fake.sent) >= 2
    assert all(s.body["text"]["body"].startswith("Punt") for s in wa.fake.sent)


async def test_template_with_body_parameters_reaches_a_closed_window(wa: WhatsAppHarness) -> None:
    wa.fake.clock.advance(25 * 3600)
    with pytest.raises(OutsideWindow):
        await wa.channel.send(TO_ANNE, OutboundMessage("Hoi"))
    receipt = await wa.channel.send_template(
        TO_ANNE, TemplateMessage("terugkoppeling", "nl", ("Jeugd", "12 mei")))
    template = wa.fake.sent[-1].body["template"]
    assert receipt.platform_message_id == wa.fake.sent[-1].wamid
    assert template == {"name": "terugkoppeling", "language": {"code": "nl"},
                        "components": [{"type": "body", "parameters": [
                            {"type": "text", "text": "Jeugd"},
                            {"type": "text", "text": "12 mei"}]}]}


# --- errors ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "error"),
    [(131026, Forbidden), (131049, Forbidden), (131050, Forbidden), (130403, Forbidden),
     (131000, TransientError), (131047, OutsideWindow)],
)
async def test_scripted_codes_map_to_errors(
    wa: WhatsAppHarness, code: int, error: type[ChannelError]
) -> None:
    wa.fake.fail(ANNE.bsuid, code)
    with pytest.raises(error) as raised:
        await wa.channel.send(TO_ANNE, OutboundMessage("Hoi"))
    assert type(raised.value) is error
    assert str(code) in str(raised.value) and ANNE.bsuid not in str(raised.value)


async def test_pair_rate_is_a_per_recipient_retry(wa: WhatsAppHarness) -> None:
    for _ in range(5):
        await wa.channel.send(TO_ANNE, OutboundMessage("hoi"))
    with pytest.raises(RetryAfter) as raised:
        await wa.channel.send(TO_ANNE, OutboundMessage("hoi"))
    assert raised.value.per_recipient is True
    assert raised.value.retry_after >= timedelta(seconds=6)
    await wa.channel.send(f"{ZEIST}:{BO.bsuid}", OutboundMessage("hoi"))  # others unaffected


async def test_throughput_is_a_platform_wide_retry(wa: WhatsAppHarness) -> None:
    wa.fake.throughput = 1
    await wa.channel.send(TO_ANNE, OutboundMessage("hoi"))
    with pytest.raises(RetryAfter) as raised:
        await wa.channel.send(TO_ANNE, OutboundMessage("hoi"))
    assert raised.value.per_recipient is False


async def test_bad_token_is_a_bad_request_naming_the_token() -> None:
    async with whatsapp_harness() as wa:
        wa.fake.numbers[UTRECHT] = "rotated-token"
        with pytest.raises(BadRequest, match="access token"):
            await wa.channel.send(TO_ANNE, OutboundMessage("hoi"))


async def test_unreachable_api_is_transient() -> None:
    settings = WhatsAppSettings(
        numbers=(WhatsAppNumber(UTRECHT, "0344", "t"),), app_secret="s", verify_token="v",
        api_base_url="http://127.0.0.1:9/v25.0", request_timeout=2.0)
    async with WhatsAppChannel(settings, RecordingSink()) as channel:
        with pytest.raises(TransientError):
            await channel.send(TO_ANNE, OutboundMessage("hoi"))


@pytest.mark.parametrize("address", ["31612345678", f"{UTRECHT}:", "abc:NL.1"])
async def test_malformed_address_is_a_bad_request(wa: WhatsAppHarness, address: str) -> None:
    with pytest.raises(BadRequest):
        await wa.channel.send(address, OutboundMessage("hoi"))
    assert wa.fake.sent == []


async def test_address_for_an_unconfigured_number_is_a_bad_request(wa: WhatsAppHarness) -> None:
    with pytest.raises(BadRequest, match="not configured"):
        await wa.channel.send(f"123456:{ANNE.bsuid}", OutboundMessage("hoi"))


def envelope(code: int) -> dict[str, Any]:
    return {"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, envelope(130429), RetryAfter),
        (400, envelope(131056), RetryAfter),
        (400, envelope(4), RetryAfter),
        (400, envelope(131047), OutsideWindow),
        (503, envelope(131016), TransientError),
        (400, envelope(131057), TransientError),
        (500, None, TransientError),
        (502, {"error": {"code": 999999}}, TransientError),
        (400, envelope(131051), BadRequest),
        (400, envelope(100), BadRequest),
        (400, envelope(131009), BadRequest),
        (401, envelope(190), BadRequest),
        (404, None, BadRequest),
        (429, None, RetryAfter),
    ],
)
def test_error_mapping_keys_on_code(status: int, body: object,
                                    expected: type[ChannelError]) -> None:
    error = map_graph_error(status, body)
    assert type(error) is expected


def test_settings_refuse_bad_config_and_hide_secrets() -> None:
    number = WhatsAppNumber(UTRECHT, "0344", "secret-token")
    settings = WhatsAppSettings(numbers=(number,), app_secret="app-s3cret", verify_token="vt")
    assert "secret-token" not in repr(settings) and "app-s3cret" not in repr(settings)
    with pytest.raises(ConfigError):
        WhatsAppSettings(numbers=(number, number), app_secret="a", verify_token="v")
    with pytest.raises(ConfigError):
        WhatsAppSettings(numbers=(), app_secret="a", verify_token="v")
    with pytest.raises(ConfigError):
        WhatsAppNumber("+31 6", "0344", "t")


def test_throughput_setting_reaches_the_pacing() -> None:
    numbers = tuple(WhatsAppNumber(n, m, t) for n, (m, t) in NUMBERS.items())
    upgraded = WhatsAppSettings(numbers=numbers, app_secret="a", verify_token="v",
                                overall_per_second=1000)
    assert WhatsAppChannel(upgraded, RecordingSink()).pacing.overall_per_second == 1000
    assert WhatsAppChannel.pacing.overall_per_second == 80
    assert WhatsAppChannel.pacing.per_recipient_interval == 6.0
