"""Walk a participant through a dialogue over the web chat, remembering every answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.model import Dialogue, StepType
from bot.simulate import step_for
from tests.support.service import Chat


@dataclass
class Walk:
    """What was answered, by step id: option ids, a number or the open text sent."""

    answers: dict[str, Any] = field(default_factory=dict)
    completed: bool = False


#: The step a bot message asks; the same lookup the simulator uses.
step_of = step_for


async def walk(chat: Chat, dialogue: Dialogue, open_text: str, *, stop_after: int | None = None) -> Walk:
    """Answer every question (first options, lower bounds + 1, ``open_text``) until the closing."""
    result = Walk()
    asked = 0
    for _ in range(40):
        message = chat.last[-1]
        ids = [o["id"] for o in message["options"]]
        if "_topic" in ids:
            result.completed = True
            return result
        step = step_of(dialogue, message["text"])
        assert step is not None, f"unknown bot message: {message['text']!r}"
        if stop_after is not None and step.is_question and asked >= stop_after:
            return result
        if step.type is StepType.CONSENT:
            await chat.send(choice=chat.option("yes"))
            continue
        asked += 1
        real = [i for i in ids if not i.endswith("._skip")]
        if step.type is StepType.MULTIPLE_CHOICE:
            picked = real[: min(2, step.max_choices or 2)]
            result.answers[step.id] = [i.split(".", 1)[1] for i in picked]
            await chat.send(choices=picked)
        elif step.type in (StepType.SINGLE_CHOICE, StepType.YES_NO, StepType.SCALE):
            pick = real[-1] if step.type is StepType.SCALE else real[0]
            result.answers[step.id] = [pick.split(".", 1)[1]]
            await chat.send(choice=pick)
        elif step.type is StepType.NUMBER:
            assert step.min is not None
            value = int(step.min) + 1
            result.answers[step.id] = float(value)
            await chat.send(text=str(value))
        elif step.type is StepType.OPEN_TEXT:
            result.answers[step.id] = open_text
            await chat.send(text=open_text)
        else:
            raise AssertionError(f"message step waiting for input: {step.id}")
    raise AssertionError("dialogue did not end within 40 turns")


def assert_stored(rows: list[Any], answers: dict[str, Any], dialogue_id: str, *,
                  municipality: str, planted: tuple[str, ...], kept: str) -> None:
    """Stored answers equal what was sent; open text is stored with ``planted`` values redacted."""
    stored = {r["step_id"]: r for r in rows}
    assert set(stored) == set(answers)
    for step_id, expected in answers.items():
        row = stored[step_id]
        assert row["municipality"] == municipality and row["dialogue_id"] == dialogue_id
        if isinstance(expected, list):
            assert json.loads(row["option_ids"]) == expected
        elif isinstance(expected, float):
            assert row["number"] == expected
        else:
            assert not any(value in row["text"] for value in planted)
            assert "[TELEFOON]" in row["text"] and "[E-MAIL]" in row["text"]
            assert kept in row["text"]
