"""``offer_next_dialogue``: after a dialogue, offer what the participant can do next:
the other dialogues of their municipality (new ones first) and raising a topic."""

from __future__ import annotations

from actions.base import ActionContext
from bot.conversation.events import RunAction
from bot.messages import OutboundMessage

__all__ = ["OfferNextDialogue"]


class OfferNextDialogue:
    name = "offer_next_dialogue"

    async def __call__(self, ctx: ActionContext, call: RunAction) -> tuple[OutboundMessage, ...]:
        return (ctx.next_menu(),)
