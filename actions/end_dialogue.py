"""``end_dialogue``: record that the participant finished the dialogue.

Completions feed the digest's completion rate per dialogue. Example::

    - id: einde
      type: closing
      actions: [end_dialogue, offer_next_dialogue]
"""

from __future__ import annotations

import hashlib

from actions.base import ActionContext
from bot.conversation.events import RunAction
from bot.messages import OutboundMessage

__all__ = ["EndDialogue"]


class EndDialogue:
    name = "end_dialogue"

    async def __call__(self, ctx: ActionContext, call: RunAction) -> tuple[OutboundMessage, ...]:
        key = hashlib.sha256(f"{ctx.turn_key}:done:{call.dialogue_id}".encode()).hexdigest()
        await ctx.insights.add_completion(
            key, ctx.pseudonym, ctx.municipality, ctx.dialogue.domain, call.dialogue_id, ctx.at
        )
        return ()
