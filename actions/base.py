"""What an action gets (a narrow context) and what it is.

Actions are the named side effects dialogue steps invoke (``actions:`` in the
YAML). They see the participant only by pseudonym, the answer (already
anonymised), and the store interfaces they need, never the whole service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.conversation.events import RunAction
from bot.dialogue.model import Dialogue
from bot.messages import OutboundMessage
from bot.stores.sql.insights import AnswerRecord

__all__ = ["Action", "ActionContext", "InsightWriter"]


class InsightWriter(Protocol):
    async def add_answer(self, record: AnswerRecord) -> bool: ...

    async def add_completion(
        self, idempotency_key: str, pseudonym: str, municipality: str, domain: str,
        dialogue_id: str, at: datetime,
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class ActionContext:
    pseudonym: str
    municipality: str
    lang: str
    at: datetime
    #: Unique per inbound message; an action derives its idempotency keys from it.
    turn_key: str
    dialogue: Dialogue
    insights: InsightWriter
    #: Builds the "what next?" menu for this participant after the turn.
    next_menu: Callable[[], OutboundMessage]
    group_id: str | None = None


class Action(Protocol):
    """One named side effect. Returns messages to say, in order (often none)."""

    name: str

    async def __call__(self, ctx: ActionContext, call: RunAction) -> tuple[OutboundMessage, ...]: ...
