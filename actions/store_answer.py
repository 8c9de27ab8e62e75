"""``store_answer``: keep the participant's answer in the insight store.

Example (a question step)::

    - id: vervoer
      type: single_choice
      actions: [store_answer]
"""

from __future__ import annotations

import hashlib

from actions.base import ActionContext
from bot.conversation.events import RunAction
from bot.messages import OutboundMessage
from bot.stores.sql.insights import AnswerRecord

__all__ = ["StoreAnswer"]


class StoreAnswer:
    name = "store_answer"

    async def __call__(self, ctx: ActionContext, call: RunAction) -> tuple[OutboundMessage, ...]:
        answer = call.answer
        if answer is None:
            return ()
        key = hashlib.sha256(f"{ctx.turn_key}:answer:{call.step_id}".encode()).hexdigest()
        await ctx.insights.add_answer(
            AnswerRecord(
                idempotency_key=key,
                pseudonym=ctx.pseudonym,
                municipality=ctx.municipality,
                domain=ctx.dialogue.domain,
                dialogue_id=call.dialogue_id,
                group_id=ctx.group_id,
                step_id=call.step_id,
                step_type=answer.step_type,
                option_ids=answer.option_ids,
                number=answer.number,
                text=answer.text,
                skipped=answer.skipped,
                themes=answer.themes,
                lang=ctx.lang,
                answered_at=ctx.at,
            )
        )
        return ()
