"""Static checks on a parsed dialogue, beyond what the JSON Schema can say.

Findings carry a level: an ``error`` makes the dialogue unusable (the service
refuses to start with it); a ``warning`` is shown by ``praatmee dialogues
validate`` (for example a text that reads above B1 level).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from bot.dialogue.model import Dialogue, Step, StepType, Text
from bot.dialogue.readability import B1_WARN_BELOW, ReadingEase

__all__ = ["Finding", "inspect_dialogue", "reading_scores"]

#: A dialogue should take under three minutes: about this many questions at most.
MAX_QUESTIONS_WARN = 12
#: WhatsApp cuts reply-button titles at 20 characters.
LABEL_WARN_CHARS = 20

# Questions that single out a group (seeds, les 9): foster children do not want
# to be addressed on being different, benefit recipients did not answer a
# question in a benefit leaflet. Ask about experiences, never about status.
_SINGLES_OUT = re.compile(
    r"\b(ben|zit|woon|heb|krijg)\s+(je|jij|u)\b[^?]{0,40}\b("
    r"pleeg\w*|jeugdzorg|jeugdhulp|in\s+zorg|uitkering|bijstand|schulden|schuldhulp\w*|"
    r"gehandicapt|beperking|vluchteling|statushouder)\b"
    r"|\b(are|do)\s+you\b[^?]{0,40}\b(in\s+care|foster\w*|on\s+benefits|in\s+debt)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Finding:
    level: Literal["error", "warning"]
    line: int
    message: str


def inspect_dialogue(
    dialogue: Dialogue, *, known_actions: frozenset[str] | None = None
) -> list[Finding]:
    """All findings for ``dialogue``, errors first."""
    findings = [
        *_structure(dialogue),
        *_translations(dialogue),
        *_content(dialogue, known_actions),
    ]
    return sorted(findings, key=lambda f: (f.level != "error", f.line))


def reading_scores(dialogue: Dialogue, scorer: ReadingEase | None = None) -> list[tuple[Step, float]]:
    """Flesch-Douma score of each step's Dutch text."""
    scorer = scorer or ReadingEase()
    return [(step, scorer.score(step.text.nl)) for step in dialogue.steps]


def _structure(d: Dialogue) -> Iterator[Finding]:
    seen: set[str] = set()
    for step in d.steps:
        if step.id in seen:
            yield Finding("error", step.line, f"step id {step.id!r} is used twice")
        seen.add(step.id)
    consents = [s for s in d.steps if s.type is StepType.CONSENT]
    if len(consents) > 1:
        yield Finding("error", consents[1].line, "only one consent step, and it comes first")
    if d.steps[-1].type is not StepType.CLOSING:
        yield Finding("error", d.steps[-1].line, "the last step must be a closing message")
    for step in d.steps:
        yield from _targets(d, step)
    yield from _reachability(d)
    if len(d.questions) > MAX_QUESTIONS_WARN:
        yield Finding(
            "warning",
            d.steps[0].line,
            f"{len(d.questions)} questions: a dialogue should take under 3 minutes",
        )


def _targets(d: Dialogue, step: Step) -> Iterator[Finding]:
    pos = d.position(step.id)
    targets = [(step.next, "next")] if step.next else []
    targets += [(b.goto, "goto") for b in step.branches]
    for target, what in targets:
        if target is None:
            continue
        if not d.has_step(target):
            yield Finding("error", step.line, f"{what} {target!r} is not a step of this dialogue")
        elif d.position(target) <= pos:
            yield Finding(
                "error", step.line, f"{what} {target!r} must point to a later step, so it always ends"
            )
    valid = step.answer_ids()
    for b in step.branches:
        bad = sorted(b.when - valid)
        if b.when and bad:
            yield Finding("error", step.line, f"branch on unknown answer(s) {', '.join(bad)}")
        if b.between is not None and step.type is not StepType.NUMBER:
            yield Finding("error", step.line, "'between' branches only fit number questions")
        if b.between is not None and b.between[0] > b.between[1]:
            yield Finding("error", step.line, "'between' needs the low value first")
        if b.skipped and not step.optional:
            yield Finding("error", step.line, "a 'skipped' branch needs an optional question")
        if b.when and step.type in (StepType.OPEN_TEXT, StepType.NUMBER):
            yield Finding("error", step.line, f"'when' branches do not fit {step.type} questions")
    if step.type is StepType.NUMBER and step.min is not None and step.max is not None:
        if step.min >= step.max:
            yield Finding("error", step.line, "min must be lower than max")
    if step.type is StepType.MULTIPLE_CHOICE and step.max_choices is not None:
        if step.max_choices > len(step.options):
            yield Finding("error", step.line, "max_choices is more than the number of options")
    ids = [o.id for o in step.options]
    if len(ids) != len(set(ids)):
        yield Finding("error", step.line, "option ids must be unique within a question")
    if step.type is StepType.CLOSING and (step.next or step.branches):
        yield Finding("error", step.line, "a closing step ends the dialogue: no next")


def _successors(d: Dialogue, step: Step) -> list[str]:
    if step.type is StepType.CLOSING:
        return []
    out = [b.goto for b in step.branches if d.has_step(b.goto)]
    if step.next:
        if d.has_step(step.next):
            out.append(step.next)
    else:
        following = d.following(step)
        if following is not None:
            out.append(following.id)
    return out


def _reachability(d: Dialogue) -> Iterator[Finding]:
    reached = {d.steps[0].id}
    todo = [d.steps[0]]
    while todo:
        for nxt in _successors(d, todo.pop()):
            if nxt not in reached:
                reached.add(nxt)
                todo.append(d.step(nxt))
    for step in d.steps:
        if step.id not in reached:
            yield Finding("error", step.line, f"step {step.id!r} can never be reached")


def _texts(step: Step) -> Iterator[tuple[str, Text]]:
    yield "text", step.text
    for option in step.options:
        yield f"option {option.id!r}", option.label
    for name in ("low_label", "high_label", "decline_text"):
        value = getattr(step, name)
        if value is not None:
            yield name, value


def _translations(d: Dialogue) -> Iterator[Finding]:
    wanted = set(d.languages)
    texts: list[tuple[int, str, Text]] = [(1, "title", d.title)]
    if d.description is not None:
        texts.append((1, "description", d.description))
    for step in d.steps:
        texts += [(step.line, f"step {step.id!r} {name}", t) for name, t in _texts(step)]
    for line, name, text in texts:
        missing = sorted(wanted - set(text.by_lang))
        if missing:
            yield Finding("error", line, f"{name} has no translation for {', '.join(missing)}")
        extra = sorted(set(text.by_lang) - wanted)
        if extra:
            yield Finding("warning", line, f"{name} has {', '.join(extra)}, not in languages")


def _content(d: Dialogue, known_actions: frozenset[str] | None) -> Iterator[Finding]:
    scorer = ReadingEase()
    for step in d.steps:
        if known_actions is not None:
            for action in step.actions:
                if action not in known_actions:
                    yield Finding("error", step.line, f"unknown action {action!r}")
        for lang, text in step.text.by_lang.items():
            if _SINGLES_OUT.search(text):
                yield Finding(
                    "error",
                    step.line,
                    f"step {step.id!r} ({lang}) asks about someone's status (care, benefits...): "
                    "ask about experiences instead",
                )
        score = scorer.score(step.text.nl)
        if score < B1_WARN_BELOW:
            yield Finding(
                "warning", step.line, f"step {step.id!r} reads above B1 (Flesch-Douma {score:.0f})"
            )
        for option in step.options:
            if len(option.label.nl) > LABEL_WARN_CHARS:
                yield Finding(
                    "warning",
                    step.line,
                    f"option {option.id!r} label is over {LABEL_WARN_CHARS} characters: "
                    "WhatsApp buttons cut it",
                )
