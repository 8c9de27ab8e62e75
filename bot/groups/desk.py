"""Where group traffic meets the runtime: joins, leaves, prompt answers and coaches.

:meth:`GroupDesk.route` looks at one inbound message before the participant
engine runs and either handles it here (a coach command, an invite code, a
prompt answer, a leave tap), or lets the engine run with a group's join code
turned into its municipality, or does nothing. Coaches are checked on every
message: a pseudonym that holds no coach role gets a polite refusal and nothing
else, and a coach's choices are limited to their own groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.conversation.events import Event
from bot.conversation.state import ConversationState
from bot.delivery.payload import encode
from bot.groups import coach as engine
from bot.groups.codes import (
    JOIN_PREFIX,
    join_link,
    new_prompt_id,
    normalise_invite,
)
from bot.groups.fanout import Fanout
from bot.groups.fatigue import FatiguePolicy
from bot.groups.messages import ANSWER, LEAVE, OPEN, joined_message, leave_menu, parse_press
from bot.groups.model import Group, Prompt, PromptStatus
from bot.groups.results import results_message
from bot.groups.store import GroupStore
from bot.groups.texts import t
from bot.messages import InboundKind, InboundMessage, OutboundMessage
from bot.stores.sql import AddressBook, AnswerRecord, InsightStore, Outbox, OutboxItem
from bot.stores.state import StateStore
from moderation.sealing import AddressSealer

__all__ = ["GroupDesk", "Routed"]

log = logging.getLogger(__name__)

DRAFT_TTL = timedelta(days=1)
ANSWER_TTL = timedelta(days=2)
RESUME_EVERY = 10.0


@dataclass(frozen=True, slots=True)
class Routed:
    """What the desk made of a message. ``handled``: reply with ``says``, skip the engine."""

    handled: bool
    says: tuple[OutboundMessage, ...] = ()
    #: For a join: the code the engine sees instead (the group's municipality) ...
    start_payload: str | None = None
    #: ... the participant's group after the turn, and what is said before the engine's reply.
    group_id: str | None = None
    before: tuple[OutboundMessage, ...] = ()


def _say(text: str, lang: str) -> Routed:
    return Routed(True, (OutboundMessage(text, lang=lang),))


class GroupDesk:
    def __init__(
        self,
        store: GroupStore,
        state: StateStore,
        insights: InsightStore,
        outbox: Outbox,
        addresses: AddressBook,
        sealer: AddressSealer,
        *,
        policy: FatiguePolicy | None = None,
        rates: dict[str, float] | None = None,
        bot_username: str | None = None,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime],
        k: int = 5,
        fanout_batch: int = 500,
    ) -> None:
        self.store = store
        self._state = state
        self._insights = insights
        self._outbox = outbox
        self._addresses = addresses
        self._sealer = sealer
        self.policy = policy or FatiguePolicy()
        self._bot_username = bot_username
        self._wake_worker = wake
        self._clock = clock
        self._k = k
        self.fanout = Fanout(store, self.policy, rates=rates, batch=fanout_batch, on_batch=wake)
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- background fan-out ---------------------------------------------------------------

    def start(self) -> None:
        """Resume unfinished fan-outs now and every few seconds (after a crash too)."""
        self._task = asyncio.create_task(self._resume_loop(), name="group-fanout")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _resume_loop(self) -> None:
        while True:
            try:
                await self.resume()
            except Exception:
                log.exception("group fan-out round failed; trying again")
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), RESUME_EVERY)

    async def resume(self) -> int:
        """Run every queued prompt's fan-out to the end; the number finished."""
        finished = 0
        for prompt in await self.store.prompts_with_status(PromptStatus.QUEUED):
            report = await self.fanout.run(prompt.prompt_id, self._clock())
            finished += report.done
        return finished

    # --- routing --------------------------------------------------------------------------

    async def route(self, message: InboundMessage, event: Event, pseudonym: str,
                    state: ConversationState, now: datetime) -> Routed | None:
        lang = state.lang
        if message.kind is InboundKind.START and (message.start_payload or "").startswith(JOIN_PREFIX):
            return await self._join(message.start_payload or "", pseudonym, lang, now)
        if message.kind is InboundKind.CHOICE and len(message.choice_ids) == 1:
            choice = message.choice_ids[0]
            if choice.startswith("k."):
                return await self._coach(pseudonym, lang, now, choice=choice)
            pressed = parse_press(choice)
            if pressed is not None and pressed.kind == ANSWER:
                return await self._answer(pressed.target, pressed.option, pseudonym, state, now)
            if pressed is not None and pressed.kind == LEAVE:
                return await self._leave(pressed.target, pseudonym, lang)
            return None
        if message.kind is not InboundKind.TEXT:
            return None
        text = message.text or ""
        code = normalise_invite(text)
        if code is not None:
            return await self._redeem(code, message, pseudonym, lang, now)
        if engine.coach_command(text) is not None:
            return await self._coach(pseudonym, lang, now, text=text)
        if text.strip().casefold() in {"/verlaten", "/leave"}:
            groups = await self.store.groups_of_member(pseudonym)
            return Routed(True, (leave_menu(groups, lang),)) if groups else _say(t("no_groups", lang), lang)
        if await self._state.get("coach:" + pseudonym):
            # A coach composing a poll: their words are poll text ("Strand" is no crisis).
            # Only the anonymised text goes into the draft and the prompt: a coach can
            # name a person too, and nothing raw is ever stored.
            return await self._coach(pseudonym, lang, now, text=event.redacted or "")
        if event.crisis:
            return None  # the participant engine answers with helplines first
        waiting = await self._state.get("pa:" + pseudonym)
        if waiting and text.strip():
            return await self._open_answer(waiting, pseudonym, state, event, now)
        return None

    # --- members --------------------------------------------------------------------------

    async def _join(self, payload: str, pseudonym: str, lang: str, now: datetime) -> Routed | None:
        group = await self.store.group_by_code(payload[len(JOIN_PREFIX):])
        if group is None:
            return None  # the engine says it does not know the code
        new = await self.store.join(group.group_id, pseudonym, now)
        return Routed(False, start_payload=group.municipality, group_id=group.group_id,
                      before=(joined_message(group, lang, new=new),))

    async def _leave(self, group_id: str, pseudonym: str, lang: str) -> Routed:
        group = await self.store.group(group_id)
        if group is None or not await self.store.leave(group_id, pseudonym):
            return _say(t("not_member", lang), lang)
        return _say(t("left", lang, name=group.name), lang)

    async def _answer(self, prompt_id: str, option: str, pseudonym: str, state: ConversationState,
                      now: datetime) -> Routed:
        lang = state.lang
        prompt = await self.store.prompt(prompt_id)
        if prompt is None or await self.store.open_recipient(prompt_id, pseudonym, now) is None:
            return _say(t("answer_closed", lang), lang)
        if option == OPEN:
            if not prompt.is_open:
                return _say(t("answer_closed", lang), lang)
            await self._state.set("pa:" + pseudonym, prompt_id, ANSWER_TTL)
            return _say(t("type_answer", lang), lang)
        index = int(option)
        if index >= len(prompt.options):
            return _say(t("answer_closed", lang), lang)
        await self._store_answer(prompt, pseudonym, lang, now, option_ids=(f"o{index}",))
        return _say(t("answer_thanks", lang), lang)

    async def _open_answer(self, prompt_id: str, pseudonym: str, state: ConversationState, event: Event,
                           now: datetime) -> Routed | None:
        await self._state.delete("pa:" + pseudonym)
        prompt = await self.store.prompt(prompt_id)
        if prompt is None or await self.store.open_recipient(prompt_id, pseudonym, now) is None:
            return None
        await self._store_answer(prompt, pseudonym, state.lang, now, text=event.redacted or "",
                                 themes=event.themes)
        return _say(t("answer_thanks", state.lang), state.lang)

    async def _store_answer(self, prompt: Prompt, pseudonym: str, lang: str, now: datetime, *,
                            option_ids: tuple[str, ...] = (), text: str | None = None,
                            themes: tuple[str, ...] = ()) -> None:
        key = hashlib.sha256(f"prompt-answer:{prompt.prompt_id}:{pseudonym}".encode()).hexdigest()
        await self._insights.add_answer(AnswerRecord(
            idempotency_key=key, pseudonym=pseudonym, municipality=prompt.municipality,
            domain=prompt.domain, step_id="poll", step_type="open_text" if prompt.is_open else "single_choice",
            lang=lang, answered_at=now, prompt_id=prompt.prompt_id, group_id=prompt.group_id,
            option_ids=option_ids, text=text, themes=themes))
        await self.store.mark_answered(prompt.prompt_id, pseudonym, now)

    async def topic_raised(self, group_id: str, themes: tuple[str, ...], topic_key: str, now: datetime) -> int:
        """Tell the group's coaches a topic came in (themes and a count, never who or what)."""
        group = await self.store.group(group_id)
        if group is None:
            return 0
        count = await self.store.topics_this_week(group_id, now)
        items = []
        for coach in await self.store.coaches_of(group_id):
            found = await self._addresses.get(coach)
            if found is None:
                continue
            label = f" ({', '.join(themes)})" if themes else ""
            text = t("topic_notice", "nl", name=group.name, themes=label, count=count)
            key = hashlib.sha256(f"{topic_key}:coach:{coach}".encode()).hexdigest()
            items.append(OutboxItem(key, found[0], found[1], encode(OutboundMessage(text)), now, coach))
        added = await self._outbox.enqueue(items, now)
        if added:
            self._wake_worker()
        return added

    # --- coaches --------------------------------------------------------------------------

    async def _redeem(self, code: str, message: InboundMessage, pseudonym: str, lang: str,
                      now: datetime) -> Routed:
        group = await self.store.redeem_invite(code, pseudonym, now)
        if group is None:
            return _say(t("bad_invite", lang), lang)
        if message.address:  # topic notices reach the coach through the outbox
            await self._addresses.put(pseudonym, message.channel, self._sealer.seal(message.address), now)
        log.info("a coach registered for group %s", group.group_id)
        return _say(t("coach_welcome", lang, name=group.name), lang)

    async def _coach(self, pseudonym: str, lang: str, now: datetime, *, text: str | None = None,
                     choice: str | None = None) -> Routed:
        groups = await self.store.coach_groups(pseudonym)
        if not groups:
            await self._state.delete("coach:" + pseudonym)
            return _say(t("not_a_coach", lang), lang)
        refs = tuple(engine.GroupRef(g.group_id, g.name) for g in groups)
        draft = engine.Draft.from_json(await self._state.get("coach:" + pseudonym))
        turn = engine.coach_step(draft, engine.CoachEvent(now, lang, refs, text=text, choice=choice))
        if turn.draft is None:
            await self._state.delete("coach:" + pseudonym)
        else:
            await self._state.set("coach:" + pseudonym, turn.draft.to_json(), DRAFT_TTL)
        by_id = {g.group_id: g for g in groups}
        says: list[OutboundMessage] = []
        for effect in turn.effects:
            says += await self._carry_out(effect, pseudonym, by_id, lang, now)
        if not says:  # a stale coach button after the draft ended
            says.append(OutboundMessage(t("cancelled", lang), lang=lang))
        return Routed(True, tuple(says))

    async def _carry_out(self, effect: Any, coach: str, groups: dict[str, Group], lang: str,
                         now: datetime) -> list[OutboundMessage]:
        if isinstance(effect, engine.Reply):
            return [effect.message]
        if isinstance(effect, engine.ShowPreview):
            group = groups[effect.draft.group_id or ""]
            send_at = datetime.fromisoformat(effect.draft.send_at) if effect.draft.send_at else now
            p = await self.fanout.preview(group, send_at)
            return [engine.preview_message(effect.draft, group.name, p.now, p.later, p.never, lang)]
        if isinstance(effect, engine.Submit):
            return [await self._submit(effect.draft, coach, groups, lang, now)]
        if isinstance(effect, engine.ShowResults):
            prompts = await self.store.prompts_by(coach)
            results = [await self.store.results(p) for p in prompts if p.group_id in groups]
            return [results_message(results, {g: x.name for g, x in groups.items()}, lang, self._k)]
        if isinstance(effect, engine.ShowGroups):
            lines = []
            for g in groups.values():
                lines.append(t("groups_line", lang, name=g.name, domain=g.domain, municipality=g.municipality,
                               members=await self.store.member_count(g.group_id),
                               link=join_link(g.join_code, self._bot_username)))
            return [OutboundMessage("\n".join(lines), lang=lang)]
        if isinstance(effect, engine.NewInvite):
            group = groups[effect.group_id]
            code = await self.store.rotate_join_code(group.group_id)
            return [OutboundMessage(t("invite", lang, name=group.name, group_id=group.group_id,
                                      link=join_link(code, self._bot_username)), lang=lang)]
        raise AssertionError(effect)

    async def _submit(self, draft: engine.Draft, coach: str, groups: dict[str, Group], lang: str,
                      now: datetime) -> OutboundMessage:
        group = groups.get(draft.group_id or "")
        if group is None:  # the engine only offers own groups; a role taken away meanwhile lands here
            return OutboundMessage(t("not_your_group", lang), lang=lang)
        send_at = max(now, datetime.fromisoformat(draft.send_at)) if draft.send_at else now
        approval = await self.store.requires_approval(group.municipality)
        prompt = Prompt(
            prompt_id=new_prompt_id(), group_id=group.group_id, coach=coach, municipality=group.municipality,
            domain=group.domain, question=draft.question, options=() if draft.open else draft.options,
            status=PromptStatus.AWAITING if approval else PromptStatus.QUEUED, send_at=send_at, created_at=now,
        )
        preview = await self.fanout.preview(group, send_at)
        await self.store.add_prompt(prompt)
        log.info("coach prompt %s for group %s (%s)", prompt.prompt_id, group.group_id, prompt.status)
        if approval:
            return OutboundMessage(t("awaiting_approval", lang), lang=lang)
        self._kick.set()
        if send_at > now + timedelta(minutes=1):
            when = send_at.astimezone(engine.TZ).strftime("%d-%m %H:%M")
            return OutboundMessage(t("scheduled", lang, when=when), lang=lang)
        return OutboundMessage(t("sent", lang, now=preview.now, later=preview.later), lang=lang)

    # --- privacy --------------------------------------------------------------------------

    async def erase(self, pseudonym: str) -> None:
        await self.store.erase(pseudonym)
        await self._state.delete("coach:" + pseudonym, "pa:" + pseudonym)

    async def rekey(self, old: str, new: str) -> None:
        await self.store.rekey(old, new)
