"""Walk a participant through a dialogue over the web chat, remembering every answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.model import Dialogue, Step, StepType
from tests.support.service import Chat


@dataclass
class Walk:
    """What was answered, by step id: option ids, a number or the open text sent."""

    answers: dict[str, Any] = field(default_factory=dict)
    completed: bool = False


def step_of(dialogue: Dialogue, text: str) -> Step | None:
    for block in reversed(text.split("\n\n")):  # the question comes last
        for step in dialogue.steps:
            if any(block.startswith(t) for t in step.text.by_lang.values()):
                return step
    return None


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
