"""Turn a dialogue step into an abstract message, and an event into an answer for it."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.conversation.events import Answer, Event
from bot.conversation.texts import say
from bot.dialogue.model import Dialogue, Step, StepType
from bot.messages import Choice, ChoiceStyle, Expect, InboundKind, OutboundMessage

__all__ = ["NO", "SKIP", "YES", "Invalid", "parse_answer", "render_step", "tag_choice", "untag"]

SKIP = "_skip"
YES = "yes"
NO = "no"

_SKIP_WORDS = frozenset({"overslaan", "sla over", "skip", "geen idee", "weet ik niet", "idk", "-"})
_YES_WORDS = frozenset({"ja", "jaa", "jaaa", "jup", "jep", "yes", "yep", "y", "j", "ok", "oke",
                        "oké", "okay", "prima", "goed", "zeker", "tuurlijk", "evet", "tak", "так",
                        "نعم", "sure", "👍"})
_NO_WORDS = frozenset({"nee", "neen", "neuh", "nope", "no", "n", "niet", "liever niet",
                       "hayır", "hayir", "nie", "ні", "لا", "👎"})
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_NUMBERS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Invalid:
    """The event does not answer the step; ``hint`` says what would."""

    hint: str


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip(" .!?,")


def tag_choice(tag: int, option_id: str) -> str:
    """A button id that names the question's turn as well as the option."""
    return f"{tag}.{option_id}"


def untag(choice_ids: tuple[str, ...], tag: int) -> tuple[str, ...] | None:
    """Option ids from button ids of the question asked in turn ``tag``; None if stale."""
    out = []
    for cid in choice_ids:
        prefix, dot, option = cid.partition(".")
        if not dot or prefix != str(tag):
            return None
        out.append(option)
    return tuple(out)


def render_step(dialogue: Dialogue, step: Step, lang: str, tag: int = 0) -> OutboundMessage:
    """The abstract message that asks ``step`` in ``lang``; button ids carry ``tag``."""
    text = step.text.get(lang)
    choices: list[Choice] = []
    expect = Expect.NOTHING
    style = ChoiceStyle.BUTTONS
    if step.type in (StepType.SINGLE_CHOICE, StepType.MULTIPLE_CHOICE):
        choices = [Choice(o.id, o.label.get(lang)) for o in step.options]
        expect = Expect.CHOICE if step.type is StepType.SINGLE_CHOICE else Expect.MULTI_CHOICE
    elif step.type is StepType.SCALE:
        choices = [Choice(str(i), str(i)) for i in range(1, 6)]
        expect, style = Expect.CHOICE, ChoiceStyle.SCALE
        if step.low_label and step.high_label:
            text += "\n" + say("scale_hint", lang, low=step.low_label.get(lang),
                               high=step.high_label.get(lang))
    elif step.type in (StepType.YES_NO, StepType.CONSENT):
        choices = [Choice(YES, say("yes", lang)), Choice(NO, say("no", lang))]
        expect = Expect.CHOICE
    elif step.type is StepType.OPEN_TEXT:
        expect = Expect.TEXT
    elif step.type is StepType.NUMBER:
        expect = Expect.NUMBER
    if step.optional:
        choices.append(Choice(SKIP, say("skip", lang)))
    tagged = tuple(Choice(tag_choice(tag, c.id), c.label) for c in choices)
    return OutboundMessage(text=text, choices=tagged, expect=expect, style=style, lang=lang)


def parse_answer(
    dialogue: Dialogue, step: Step, event: Event, lang: str, tag: int = 0
) -> Answer | Invalid:
    """Read ``event`` as the answer to ``step``: button ids, numbers, labels or free text.

    A press on a button of an earlier question (another ``tag``) is invalid.
    """
    base = {"dialogue_id": dialogue.id, "step_id": step.id, "step_type": str(step.type)}
    text = (event.text or "").strip()
    if event.kind is InboundKind.CHOICE:
        option_ids = untag(event.choice_ids, tag)
        if option_ids is None:
            return Invalid(_hint(step, lang))
        event = replace(event, choice_ids=option_ids)
    if step.optional and (SKIP in event.choice_ids or _norm(text) in _SKIP_WORDS or _is_skip_number(step, text)):
        return Answer(**base, skipped=True)
    if step.type is StepType.OPEN_TEXT:
        return _open_text(step, event, text, lang, base)
    if step.type is StepType.NUMBER:
        return _number(step, event, text, lang, base)
    if step.type is StepType.MULTIPLE_CHOICE:
        return _multi(step, event, text, lang, base)
    return _single(step, event, text, lang, base)


def _is_skip_number(step: Step, text: str) -> bool:
    """Numbered-text renderings list "skip" last, as option n + 1."""
    norm = _norm(text)
    if step.type not in (StepType.SINGLE_CHOICE, StepType.MULTIPLE_CHOICE):
        return False
    return norm.isdigit() and int(norm) == len(step.options) + 1


def _hint(step: Step, lang: str) -> str:
    if step.type in (StepType.YES_NO, StepType.CONSENT):
        return say("pick_yes_no", lang)
    if step.type is StepType.SCALE:
        return say("pick_scale", lang)
    if step.type is StepType.MULTIPLE_CHOICE:
        return say("pick_options", lang)
    return say("pick_option", lang)


def _single(step: Step, event: Event, text: str, lang: str, base: dict[str, str]) -> Answer | Invalid:
    valid = step.answer_ids()
    if event.kind is InboundKind.CHOICE:
        if len(event.choice_ids) == 1 and event.choice_ids[0] in valid:
            return Answer(**base, option_ids=event.choice_ids)
        return Invalid(_hint(step, lang))
    picked = _match_text(step, text, lang)
    if picked is None and step.type in (StepType.YES_NO, StepType.CONSENT):
        if event.intent == "affirm" and event.confidence >= 0.7:
            picked = YES
        elif event.intent == "deny" and event.confidence >= 0.7:
            picked = NO
    if picked is None:
        return Invalid(_hint(step, lang))
    return Answer(**base, option_ids=(picked,))


def _match_text(step: Step, text: str, lang: str) -> str | None:
    """A typed answer: a number of the option, its label, or ja/nee."""
    norm = _norm(text)
    if not norm:
        return None
    if step.type in (StepType.YES_NO, StepType.CONSENT):
        if norm in _YES_WORDS:
            return YES
        if norm in _NO_WORDS:
            return NO
        return None
    if step.type is StepType.SCALE:
        return norm if norm in {"1", "2", "3", "4", "5"} else None
    if norm.isdigit() and 1 <= int(norm) <= len(step.options):
        return step.options[int(norm) - 1].id
    for option in step.options:
        if norm in {_norm(label) for label in option.label.by_lang.values()}:
            return option.id
    return None


def _multi(step: Step, event: Event, text: str, lang: str, base: dict[str, str]) -> Answer | Invalid:
    valid = step.answer_ids()
    if event.kind is InboundKind.CHOICE:
        picked = tuple(dict.fromkeys(event.choice_ids))
    else:
        numbers = [int(n) for n in _NUMBERS.findall(text)]
        if numbers:
            if any(not 1 <= n <= len(step.options) for n in numbers):
                return Invalid(say("pick_options", lang))
            picked = tuple(dict.fromkeys(step.options[n - 1].id for n in numbers))
        else:
            parts = [p for p in re.split(r"\s*(?:,|/|\ben\b|\band\b|&|\+)\s*", text) if p.strip()]
            matched = [_match_text(step, p, lang) for p in parts]
            if not matched or None in matched:
                return Invalid(say("pick_options", lang))
            picked = tuple(dict.fromkeys(m for m in matched if m is not None))
    if not picked or any(p not in valid for p in picked):
        return Invalid(say("pick_options", lang))
    if step.max_choices is not None and len(picked) > step.max_choices:
        return Invalid(say("too_many_options", lang, n=step.max_choices))
    return Answer(**base, option_ids=picked)


def _number(step: Step, event: Event, text: str, lang: str, base: dict[str, str]) -> Answer | Invalid:
    assert step.min is not None and step.max is not None
    low, high = _fmt(step.min), _fmt(step.max)
    match = _NUMBER.search(text) if event.kind is InboundKind.TEXT else None
    if match is None:
        return Invalid(say("give_number", lang, min=low, max=high))
    value = float(match.group().replace(",", "."))
    if step.integer and value != int(value):
        return Invalid(say("give_number", lang, min=low, max=high))
    if not step.min <= value <= step.max:
        return Invalid(say("give_number", lang, min=low, max=high))
    return Answer(**base, number=value)


def _open_text(step: Step, event: Event, text: str, lang: str, base: dict[str, str]) -> Answer | Invalid:
    if event.kind is not InboundKind.TEXT or not text:
        return Invalid(say("empty_text", lang))
    if step.max_length is not None and len(text) > step.max_length:
        return Invalid(say("too_long", lang, n=step.max_length))
    return Answer(**base, text=event.redacted or "", themes=event.themes)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
