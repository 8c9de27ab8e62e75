"""A participant's conversation state: small, JSON-serialisable, no raw text ever."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["Awaiting", "ConversationState"]

STATE_VERSION = 1


class Awaiting:
    """What a free message is taken as, outside a dialogue step."""

    MUNICIPALITY = "municipality"
    MENU = "menu"
    TOPIC = "topic"
    LANGUAGE = "language"
    CONFIRM_FORGET = "confirm_forget"
    CONFIRM_STOP = "confirm_stop"


@dataclass(frozen=True, slots=True)
class ConversationState:
    municipality: str | None = None
    lang: str = "nl"
    #: The participant chose a language themselves: detection does not override it.
    lang_fixed: bool = False
    dialogue_id: str | None = None
    step_id: str | None = None
    awaiting: str | None = None
    #: The turn in which the current question was asked; its buttons carry it, so
    #: a press on an older question's button is recognised as stale.
    asked: int = 0
    stopped: bool = False
    completed: tuple[str, ...] = ()
    #: Turn counter: part of every idempotency key, so a replayed turn repeats its keys.
    turn: int = 0
    #: Unix seconds of recent inbound messages and abuse, for the safety policies.
    recent: tuple[float, ...] = field(default=())
    abuse: tuple[float, ...] = field(default=())
    paused_until: float = 0.0
    #: Unix seconds of the last crisis alert: a human is told once per hour, not per message.
    alerted: float = 0.0
    group: str | None = None
    version: int = STATE_VERSION

    def evolve(self, **changes: Any) -> ConversationState:
        return replace(self, **changes)

    def to_json(self) -> str:
        # Every field is a plain value or a tuple of them: no need for asdict's deep copy.
        data = {name: getattr(self, name) for name in _FIELDS}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> ConversationState:
        """Parse stored state; unknown keys (from a newer version) are ignored."""
        if not raw:
            return cls()
        data = json.loads(raw)
        kwargs = {k: v for k, v in data.items() if k in _FIELDS}
        for key in ("completed", "recent", "abuse"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)

    @property
    def in_dialogue(self) -> bool:
        return self.dialogue_id is not None and self.step_id is not None


_FIELDS = frozenset(f.name for f in fields(ConversationState))
