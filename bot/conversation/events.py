"""What goes into the engine (an :class:`Event`) and what comes out (effects).

The engine decides; the runtime carries the effects out. Effects never carry
raw participant text: only ``redacted`` text reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.conversation.state import ConversationState
from bot.messages import InboundKind, OutboundMessage

__all__ = [
    "Alert",
    "Answer",
    "Effect",
    "Enrol",
    "Erase",
    "Event",
    "RaiseTopic",
    "RunAction",
    "Say",
    "SetSubscription",
    "Turn",
]


@dataclass(frozen=True, slots=True)
class Event:
    """One inbound message, prepared by the runtime (time comes in here, not from a clock)."""

    at: datetime
    kind: InboundKind
    #: Raw text, in memory only: used to read numbers, labels and commands.
    text: str | None = None
    #: The same text anonymised: the only form that may be stored.
    redacted: str | None = None
    choice_ids: tuple[str, ...] = ()
    start_payload: str | None = None
    #: The municipality the channel address belongs to (InboundMessage.municipality).
    municipality: str | None = None
    intent: str | None = None
    confidence: float = 0.0
    #: Detected language of the text, or None / "unknown".
    lang: str | None = None
    themes: tuple[str, ...] = ()
    #: Safety screen of the text: a crisis kind ("suicide", ...) or None, and abuse.
    crisis: str | None = None
    abuse: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """A participant's answer to one question, ready to store."""

    dialogue_id: str
    step_id: str
    step_type: str
    option_ids: tuple[str, ...] = ()
    number: float | None = None
    text: str | None = None  # redacted
    skipped: bool = False
    themes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Say:
    message: OutboundMessage


@dataclass(frozen=True, slots=True)
class RunAction:
    """Run the named action from ``actions/`` (as listed in the dialogue YAML)."""

    name: str
    dialogue_id: str
    step_id: str
    answer: Answer | None = None


@dataclass(frozen=True, slots=True)
class RaiseTopic:
    text: str  # redacted
    themes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Erase:
    """Forget the participant: every record linked to the pseudonym."""


@dataclass(frozen=True, slots=True)
class SetSubscription:
    active: bool


@dataclass(frozen=True, slots=True)
class Alert:
    """A crisis signal: a human at the municipality is told, without who it was."""

    kind: str
    text: str  # redacted
    municipality: str | None


@dataclass(frozen=True, slots=True)
class Enrol:
    """The participant's municipality or language became known or changed."""

    municipality: str
    lang: str


Effect = Say | RunAction | RaiseTopic | Erase | SetSubscription | Enrol | Alert


@dataclass(frozen=True, slots=True)
class Turn:
    """The engine's answer to one event: the new state and what to do."""

    state: ConversationState
    effects: tuple[Effect, ...]
