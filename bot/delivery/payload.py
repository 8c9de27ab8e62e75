"""Outbound messages as JSON for the outbox (never pickle)."""

from __future__ import annotations

import json
from typing import Any

from bot.messages import Choice, ChoiceStyle, Expect, OutboundMessage

__all__ = ["decode", "encode"]


def encode(message: OutboundMessage) -> str:
    data: dict[str, Any] = {"text": message.text}
    if message.choices:
        data["choices"] = [[c.id, c.label] for c in message.choices]
    if message.expect is not Expect.NOTHING:
        data["expect"] = str(message.expect)
    if message.style is not ChoiceStyle.BUTTONS:
        data["style"] = str(message.style)
    if message.bulk:
        data["bulk"] = True
    if message.lang != "nl":
        data["lang"] = message.lang
    if message.template:
        data["template"] = message.template
        data["template_params"] = list(message.template_params)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode(raw: str) -> OutboundMessage:
    data = json.loads(raw)
    return OutboundMessage(
        text=data["text"],
        choices=tuple(Choice(i, label) for i, label in data.get("choices", ())),
        expect=Expect(data.get("expect", "nothing")),
        style=ChoiceStyle(data.get("style", "buttons")),
        bulk=bool(data.get("bulk", False)),
        template=data.get("template"),
        template_params=tuple(data.get("template_params", ())),
        lang=data.get("lang", "nl"),
    )
