"""Dialogues as typed, immutable data (read from YAML by :mod:`bot.dialogue.loader`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "CURRENT_SPEC_VERSION",
    "QUESTION_TYPES",
    "Branch",
    "Dialogue",
    "Option",
    "Step",
    "StepType",
    "Text",
]

CURRENT_SPEC_VERSION = 1


class StepType(StrEnum):
    CONSENT = "consent"
    MESSAGE = "message"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"
    YES_NO = "yes_no"
    OPEN_TEXT = "open_text"
    NUMBER = "number"
    CLOSING = "closing"


#: Step types that wait for an answer that is stored.
QUESTION_TYPES = frozenset(
    {
        StepType.SINGLE_CHOICE,
        StepType.MULTIPLE_CHOICE,
        StepType.SCALE,
        StepType.YES_NO,
        StepType.OPEN_TEXT,
        StepType.NUMBER,
    }
)


@dataclass(frozen=True, slots=True)
class Text:
    """A text in several languages; Dutch is always there and is the fallback."""

    by_lang: Mapping[str, str]

    def __post_init__(self) -> None:
        if "nl" not in self.by_lang:
            raise ValueError("a text needs a Dutch version")
        object.__setattr__(self, "by_lang", MappingProxyType(dict(self.by_lang)))

    def get(self, lang: str) -> str:
        return self.by_lang.get(lang) or self.by_lang["nl"]

    @property
    def nl(self) -> str:
        return self.by_lang["nl"]


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class Branch:
    """Go to ``goto`` when the answer is one of ``when``, lies in ``between``, or was skipped."""

    goto: str
    when: frozenset[str] = frozenset()
    between: tuple[float, float] | None = None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    type: StepType
    text: Text
    line: int = 0
    optional: bool = False
    next: str | None = None
    branches: tuple[Branch, ...] = ()
    actions: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    max_choices: int | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = True
    low_label: Text | None = None
    high_label: Text | None = None
    decline_text: Text | None = None

    @property
    def is_question(self) -> bool:
        return self.type in QUESTION_TYPES

    def answer_ids(self) -> frozenset[str]:
        """The ids a choice-like answer may take."""
        if self.type in (StepType.SINGLE_CHOICE, StepType.MULTIPLE_CHOICE):
            return frozenset(o.id for o in self.options)
        if self.type is StepType.SCALE:
            return frozenset(str(i) for i in range(1, 6))
        if self.type in (StepType.YES_NO, StepType.CONSENT):
            return frozenset({"yes", "no"})
        return frozenset()


@dataclass(frozen=True, slots=True)
class Dialogue:
    spec_version: int
    id: str
    title: Text
    goal: str
    audience: str
    domain: str
    municipalities: tuple[str, ...]
    languages: tuple[str, ...]
    steps: tuple[Step, ...]
    description: Text | None = None
    next_dialogue: str | None = None
    path: str = ""
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_index", MappingProxyType({s.id: i for i, s in enumerate(self.steps)})
        )

    def step(self, step_id: str) -> Step:
        return self.steps[self._index[step_id]]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._index

    def position(self, step_id: str) -> int:
        return self._index[step_id]

    def following(self, step: Step) -> Step | None:
        """The step after ``step`` in file order, or None at the end."""
        i = self._index[step.id] + 1
        return self.steps[i] if i < len(self.steps) else None

    @property
    def questions(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.is_question)

    def runs_in(self, municipality: str) -> bool:
        return municipality in self.municipalities
