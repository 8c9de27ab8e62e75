"""The conversation runtime: every inbound message, from any channel, goes through here.

    de-duplicate → pseudonymise → per-participant lock → anonymise + understand →
    engine step → actions and effects → state saved → replies into the outbox

``accept`` returns only when all of that is durable, so a channel may then
acknowledge its platform. Raw text and channel ids live only in memory while one
message is handled; the state store and the database see pseudonyms, anonymised
text and sealed addresses only.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from actions.base import Action, ActionContext
from bot.alerts import SafetyAlerts
from bot.channels.base import DeliveryState, DeliveryStatus
from bot.conversation.engine import step
from bot.conversation.events import (
    Alert,
    Enrol,
    Erase,
    Event,
    RaiseTopic,
    RunAction,
    Say,
    SetSubscription,
)
from bot.conversation.menus import EngineContext, menu_message
from bot.conversation.state import ConversationState
from bot.delivery.payload import encode
from bot.delivery.worker import OutboxWorker
from bot.groups.desk import GroupDesk
from bot.messages import InboundKind, InboundMessage, OutboundMessage
from bot.stores.sql import AddressBook, InsightStore, Outbox, OutboxItem
from bot.stores.sql.outbox import AfterStatus
from bot.stores.state import StateStore
from moderation.anonymiser import Anonymiser
from moderation.pseudonyms import Pseudonymiser
from moderation.screen import Screener
from moderation.sealing import AddressSealer
from nlu.types import NluBackend, NluResult

__all__ = ["Runtime", "RuntimeStores"]

log = logging.getLogger(__name__)

#: How long a handled message id is remembered (WhatsApp retries for up to 7 days).
SEEN_TTL = timedelta(days=8)
#: Texts longer than this are cut before any processing (platforms allow 4096).
MAX_TEXT = 4096
#: Channels whose replies ``accept`` returns (the web chat answers in the same HTTP
#: response); others get theirs through the outbox, delivered in the background.
INLINE_CHANNELS = frozenset({"webchat"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RuntimeStores:
    state: StateStore
    insights: InsightStore
    addresses: AddressBook
    outbox: Outbox


@dataclass(frozen=True, slots=True)
class _Queued:
    """What handling one message leaves to do: replies queued in the outbox (by key, for
    the worker) or answered inline, and the participant's new state (None: none to save)."""

    keys: tuple[str, ...] = ()
    inline: list[OutboundMessage] = field(default_factory=list)
    state: str | None = None
    #: Held messages were released by this message (they follow its replies).
    released: bool = False


class Runtime:
    """Implements the channels' :class:`~bot.channels.base.InboundSink`."""

    def __init__(
        self,
        *,
        ctx: EngineContext,
        stores: RuntimeStores,
        worker: OutboxWorker,
        pseudonymiser: Pseudonymiser,
        sealer: AddressSealer,
        anonymiser: Anonymiser,
        screener: Screener,
        nlu: NluBackend,
        actions: Mapping[str, Action],
        alerts: SafetyAlerts | None = None,
        clock: Callable[[], datetime] = _utcnow,
        groups: GroupDesk | None = None,
    ) -> None:
        self._ctx = ctx
        self._s = stores
        self._worker = worker
        self._pseudo = pseudonymiser
        self._sealer = sealer
        self._anon = anonymiser
        self._screener = screener
        self._nlu = nlu
        self._actions = actions
        self._alerts = alerts or SafetyAlerts()
        self._clock = clock
        self._groups = groups
        self._tasks: set[asyncio.Task[Any]] = set()
        self.handled = 0

    # --- the sink contract -------------------------------------------------------------------

    async def accept(self, message: InboundMessage) -> list[OutboundMessage]:
        """Handle one inbound message durably; a repeat of a handled id does nothing.

        Returns the replies for a channel that answers inline; otherwise (and for a
        repeat) an empty list.
        """
        seen = "seen:" + hashlib.sha256(f"{message.channel}\x00{message.message_id}".encode()).hexdigest()[:40]
        if await self._s.state.get(seen) is not None:
            return []
        pseudonym = self._pseudo.pseudonym(message.channel, message.channel_user_id)
        async with self._s.state.lock("p:" + pseudonym):
            if await self._s.state.get(seen) is not None:
                return []
            await self._follow_key_rotation(message, pseudonym)
            queued = await self._handle(message, pseudonym)
            # Last, and together: until both are saved a retry of this message handles it
            # again from the old state, with the same turn keys (answers and replies once).
            saves: list[tuple[str, str, timedelta | None]] = [(seen, "1", SEEN_TTL)]
            if queued.state is not None:
                saves.insert(0, ("state:" + pseudonym, queued.state, None))
            await self._s.state.set_many(saves)
        self.handled += 1
        if queued.keys or queued.released:
            # The replies first, then whatever the new window released, in one chain.
            self._spawn(self._worker.flush(queued.keys, released_for=pseudonym if queued.released else None))
        return queued.inline

    async def status(self, update: DeliveryStatus) -> None:
        """A platform's delivery report: log it and settle the sent message it names.

        A late refusal as outside the window puts the message on its template path; a
        passing failure sends it again; a permanent one makes the address unreachable.
        """
        if update.state is not DeliveryState.FAILED:
            then = AfterStatus.CONFIRMED
        elif update.outside_window:
            then = AfterStatus.VIA_TEMPLATE
        elif update.passing:
            then = AfterStatus.RESEND
        else:
            then = AfterStatus.FAILED
        recorded = await self._s.outbox.log_status(
            update.channel, update.platform_message_id, str(update.state), update.at, update.error_code,
            then=then,
        )
        if recorded.due_again:
            self._worker.wake()
        if update.state is DeliveryState.FAILED and update.permanent and recorded.pseudonym:
            await self._s.insights.mark_unreachable(recorded.pseudonym)
            await self._s.outbox.drop_pending(recorded.pseudonym)

    # --- one message -------------------------------------------------------------------------

    async def _handle(self, message: InboundMessage, pseudonym: str) -> _Queued:
        now = self._clock()
        state_key = "state:" + pseudonym
        state = ConversationState.from_json(await self._s.state.get(state_key))
        new_participant = state.turn == 0
        event = await self._event(message, now)
        turn_key = hashlib.sha256(f"{message.channel}\x00{message.message_id}".encode()).hexdigest()
        routed = await self._groups.route(message, event, pseudonym, state, now) if self._groups else None
        if routed is not None and routed.handled:  # coach commands, prompt answers, leaving a group
            return await self._enqueue(message, pseudonym, turn_key, list(routed.says), now)
        if routed is not None:  # a group's join link: the engine sees the group's municipality
            event = replace(event, start_payload=routed.start_payload)
        turn = step(self._ctx, state, event)
        if routed is not None and routed.group_id:
            turn = replace(turn, state=turn.state.evolve(group=routed.group_id))
        if new_participant and message.address:
            await self._s.addresses.put(pseudonym, message.channel, self._sealer.seal(message.address), now)
            await self._s.insights.enrol(pseudonym, message.channel, turn.state.municipality, turn.state.lang, now)
        says: list[OutboundMessage] = list(routed.before) if routed is not None else []
        erased = False
        for effect in turn.effects:
            if isinstance(effect, Say):
                says.append(effect.message)
            elif isinstance(effect, RunAction):
                says += await self._run_action(effect, pseudonym, turn.state, turn_key, now)
            elif isinstance(effect, RaiseTopic):
                if turn.state.municipality:
                    topic_key = hashlib.sha256(f"{turn_key}:topic".encode()).hexdigest()
                    await self._s.insights.add_topic(
                        topic_key, pseudonym, turn.state.municipality, effect.text, turn.state.lang, now,
                        effect.themes, turn.state.group,
                    )
                    if self._groups is not None and turn.state.group:
                        await self._groups.topic_raised(turn.state.group, effect.themes, topic_key, now)
            elif isinstance(effect, Enrol):
                await self._s.insights.enrol(pseudonym, message.channel, effect.municipality, effect.lang, now)
            elif isinstance(effect, SetSubscription):
                await self._s.insights.set_active(pseudonym, effect.active)
                if not effect.active:
                    await self._s.outbox.drop_pending(pseudonym)
            elif isinstance(effect, Alert):
                await self._alerts.raise_alert(effect.kind, effect.text, effect.municipality, now)
            elif isinstance(effect, Erase):
                await self._erase(pseudonym)
                erased = True
        released = 0
        if not erased:
            # Their message opens a platform's service window (the worker sends pushes as
            # templates once it has closed) and releases what waited for it. A channel that
            # answers inline has no window, so nothing of its participants is ever held.
            if message.kind is not InboundKind.BLOCKED and message.channel not in INLINE_CHANNELS:
                _, released = await asyncio.gather(
                    self._s.insights.wrote(pseudonym, now), self._s.outbox.release_held(pseudonym, now)
                )
        queued = await self._enqueue(message, None if erased else pseudonym, turn_key, says, now)
        return replace(queued, state=None if erased else turn.state.to_json(), released=released > 0)

    async def _follow_key_rotation(self, message: InboundMessage, pseudonym: str) -> None:
        """During a pseudonym key rotation, move a returning participant to the new pseudonym."""
        old = self._pseudo.previous_pseudonym(message.channel, message.channel_user_id)
        if old is None or old == pseudonym or await self._s.state.get("state:" + pseudonym):
            return
        async with self._s.state.lock("p:" + old):
            state = await self._s.state.get("state:" + old)
            if state is None:
                return
            await self._s.insights.rekey(old, pseudonym)
            if self._groups is not None:
                await self._groups.rekey(old, pseudonym)
            await self._s.state.set("state:" + pseudonym, state)
            await self._s.state.delete("state:" + old)

    async def _event(self, message: InboundMessage, now: datetime) -> Event:
        text = (message.text or "")[:MAX_TEXT] if message.text is not None else None
        redacted: str | None = None
        nlu = NluResult(intent="out_of_scope", confidence=0.0)
        crisis: str | None = None
        abuse = False
        if text and message.kind is InboundKind.TEXT:
            redacted = self._anon.anonymise(text).text
            screen = self._screener.screen(text)
            crisis = str(screen.kind) if screen.crisis else None
            abuse = screen.abuse
            nlu = await self._nlu.parse(text)
        return Event(
            at=now,
            kind=message.kind,
            text=text,
            redacted=redacted,
            choice_ids=message.choice_ids,
            start_payload=message.start_payload,
            municipality=message.municipality,
            intent=nlu.intent,
            confidence=nlu.confidence,
            lang=nlu.lang,
            themes=nlu.themes,
            crisis=crisis,
            abuse=abuse,
        )

    async def _run_action(
        self, call: RunAction, pseudonym: str, state: ConversationState, turn_key: str, now: datetime
    ) -> list[OutboundMessage]:
        dialogue = self._ctx.catalog.get(call.dialogue_id)
        action = self._actions.get(call.name)
        if dialogue is None or action is None or state.municipality is None:
            log.error("action %s for dialogue %s cannot run", call.name, call.dialogue_id)
            return []
        ctx = ActionContext(
            pseudonym=pseudonym,
            municipality=state.municipality,
            lang=state.lang,
            at=now,
            turn_key=turn_key,
            dialogue=dialogue,
            insights=self._s.insights,
            next_menu=lambda: menu_message(self._ctx, state),
            group_id=state.group,
        )
        return list(await action(ctx, call))

    async def _erase(self, pseudonym: str) -> None:
        await self._s.insights.erase(pseudonym)
        if self._groups is not None:
            await self._groups.erase(pseudonym)
        linked = await self._s.state.keys(f"state:{pseudonym}")
        await self._s.state.delete(*linked, "state:" + pseudonym)

    async def _enqueue(
        self,
        message: InboundMessage,
        pseudonym: str | None,
        turn_key: str,
        says: list[OutboundMessage],
        now: datetime,
    ) -> _Queued:
        if not says:
            return _Queued()
        if message.channel in INLINE_CHANNELS:
            # The channel shows them in its answer to this very request; nothing to queue.
            return _Queued(inline=merge_messages(says))
        if not message.address:
            return _Queued()
        sealed = self._sealer.seal(message.address)
        items = [
            OutboxItem(
                idempotency_key=hashlib.sha256(f"{turn_key}:{i}".encode()).hexdigest(),
                channel=message.channel,
                address_enc=sealed,
                payload=encode(out),
                due_at=now,
                pseudonym=pseudonym,
            )
            for i, out in enumerate(merge_messages(says))
        ]
        await self._s.outbox.enqueue(items, now)
        return _Queued(keys=tuple(i.idempotency_key for i in items))

    # --- background work ---------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background delivery failed: %r", task.exception())

    async def aclose(self) -> None:
        """Wait for background deliveries started by ``accept``."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def merge_messages(messages: list[OutboundMessage], limit: int = 1500) -> list[OutboundMessage]:
    """Join plain texts into the message after them, so a reply is one or two bubbles.

    Fewer bubbles keep within per-chat limits (WhatsApp allows about one message
    per 6 s per person) and read better. A message with choices ends a bubble.
    A joined bubble keeps what its last message waits for (``expect``) and its
    language, so a typed-answer question still says it wants a number or text.
    """
    merged: list[OutboundMessage] = []
    pending: list[OutboundMessage] = []

    def joined(parts: list[OutboundMessage]) -> str:
        return "\n\n".join(p.text for p in parts)

    for m in messages:
        if m.choices or m.template:
            text = joined([*pending, m])
            if pending and len(text) <= limit:
                m = replace(m, text=text)
            else:
                merged += pending
            pending = []
            merged.append(m)
        elif pending and len(joined([*pending, m])) > limit:
            merged.append(replace(pending[-1], text=joined(pending)))
            pending = [m]
        else:
            pending.append(m)
    if pending:
        merged.append(replace(pending[-1], text=joined(pending)))
    return merged
