"""Durable fan-out of a coach's prompt through the SQL outbox.

One outbox row per member (idempotency key = prompt id + member pseudonym,
priority BULK, ``due_at`` from the fatigue policy). Members are read in
pseudonym order, ``batch`` at a time, so memory stays flat for any group size.
Each batch is one transaction: the members' ledger rows
(``prompt_recipients``), their outbox rows and the prompt's cursor move
together. A crash rolls back the open batch and a rerun starts after the last
committed one, so every member is queued exactly once; two runners at once
are kept apart by the cursor (optimistic lock).

Bulk yields to conversation: the worker claims by priority, but a claimed row
waits in the platform's pacer, and a reply flushed behind 200 bulk rows would
wait seconds. So due times are spread at the platform's own rate in chunks of
``chunk`` rows, a few chunks ahead of the pacer: only a few dozen bulk rows are
ever due at once, and a reply in a dialogue waits about a second at most.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert, Update

from bot.delivery.pacer import SAFETY
from bot.delivery.payload import encode
from bot.groups.fatigue import WEEK, FatiguePolicy, Verdict, decide
from bot.groups.messages import prompt_message
from bot.groups.model import Group, Member, Prompt, PromptStatus
from bot.groups.store import GroupStore, recipient_key
from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.outbox import BULK
from bot.stores.sql.tables import outbox
from bot.stores.sql.tables_groups import group_prompts, prompt_recipients

__all__ = ["Fanout", "FanoutReport", "Preview"]

log = logging.getLogger(__name__)

DEFAULT_RATE = 30.0


@dataclass(frozen=True, slots=True)
class Preview:
    """How many members get a prompt at the chosen time, later, or not at all."""

    now: int
    later: int
    never: int

    @property
    def members(self) -> int:
        return self.now + self.later + self.never


@dataclass(frozen=True, slots=True)
class FanoutReport:
    prompt_id: str
    queued: int
    never: int
    batches: int
    done: bool


class _Moved(Exception):
    """Another runner committed this batch first."""


def _move_stmt(cursor_is: ColumnElement[bool]) -> Update:
    """Move the prompt's cursor past a batch and add its counts, if no other runner did."""
    return (update(group_prompts)
            .where(group_prompts.c.prompt_id == bindparam("pid"), cursor_is)
            .values(cursor=bindparam("to"),
                    now_count=group_prompts.c.now_count + bindparam("now_n", type_=Integer),
                    later_count=group_prompts.c.later_count + bindparam("later_n", type_=Integer),
                    never_count=group_prompts.c.never_count + bindparam("never_n", type_=Integer)))


_MOVE_FROM_START = _move_stmt(group_prompts.c.cursor.is_(None))
_MOVE_CURSOR = _move_stmt(group_prompts.c.cursor == bindparam("was"))


@lru_cache(maxsize=4)
def _add_recipients(dialect: str) -> Insert:
    """Ledger rows, skipping members queued already; returns the pseudonyms actually added."""
    stmt: Any = (postgresql if dialect == "postgresql" else sqlite).insert(prompt_recipients)
    stmt = stmt.on_conflict_do_nothing(index_elements=["prompt_id", "pseudonym"])
    return stmt.returning(prompt_recipients.c.pseudonym)  # type: ignore[no-any-return]


class Fanout:
    """Queues prompts for members; ``run`` may be called again at any time to resume."""

    def __init__(
        self,
        store: GroupStore,
        policy: FatiguePolicy,
        *,
        rates: Mapping[str, float] | None = None,
        batch: int = 500,
        chunk: int = 10,
        lead_chunks: int = 3,
        on_batch: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._rates = rates if rates is not None else {}  # filled in as channels start
        self.batch = batch
        self._chunk = chunk
        self._lead = lead_chunks
        self.on_batch = on_batch or (lambda: None)

    def _offset(self, index: int, channel: str) -> timedelta:
        """The spread: chunk ``index // chunk`` becomes due at the platform's paced rate."""
        rate = self._rates.get(channel, DEFAULT_RATE) * SAFETY
        chunks = max(0, index // self._chunk - self._lead)
        return timedelta(seconds=chunks * self._chunk / rate)

    async def preview(self, group: Group, send_at: datetime, exclude: str = "") -> Preview:
        """Run the fatigue policy over every member without writing anything."""
        now = later = never = 0
        after: str | None = None
        while members := await self._store.member_batch(group.group_id, after, self.batch):
            after = members[-1].pseudonym
            history = await self._store.histories([m.pseudonym for m in members], send_at - 2 * WEEK, exclude)
            for m in members:
                verdict = decide(self._policy, history.get(m.pseudonym, []), send_at).verdict if m.reachable else Verdict.NEVER
                now += verdict is Verdict.NOW
                later += verdict is Verdict.LATER
                never += verdict is Verdict.NEVER
        return Preview(now, later, never)

    async def run(self, prompt_id: str, now: datetime) -> FanoutReport:
        """Queue the prompt for every member not queued yet; marks it sent when done."""
        queued = never = batches = 0
        while True:
            prompt = await self._store.prompt(prompt_id)
            if prompt is None or prompt.status != PromptStatus.QUEUED:
                return FanoutReport(prompt_id, queued, never, batches, prompt is not None and prompt.status == PromptStatus.SENT)
            group = await self._store.group(prompt.group_id)
            members = await self._store.member_batch(prompt.group_id, prompt.cursor, self.batch) if group else []
            if not members:
                await self._store.set_status(prompt_id, PromptStatus.SENT, expect=PromptStatus.QUEUED)
                log.info("fan-out of %s done: %d queued, %d left out", prompt_id,
                         prompt.now_count + prompt.later_count, prompt.never_count)
                return FanoutReport(prompt_id, queued, never, batches, True)
            assert group is not None
            try:
                q, n = await self._batch_once(prompt, group, members, now)
            except _Moved:
                continue
            queued += q
            never += n
            batches += 1
            self.on_batch()

    async def _batch_once(self, prompt: Prompt, group: Group, members: list[Member],
                          now: datetime) -> tuple[int, int]:
        history = await self._store.histories([m.pseudonym for m in members], prompt.send_at - 2 * WEEK,
                                              prompt.prompt_id)
        index = prompt.now_count + prompt.later_count
        counts = {Verdict.NOW: 0, Verdict.LATER: 0, Verdict.NEVER: 0}
        recipients: list[dict[str, Any]] = []
        rows: dict[str, dict[str, Any]] = {}
        payloads: dict[str, str] = {}
        for m in members:
            decision = decide(self._policy, history.get(m.pseudonym, []), prompt.send_at)
            if not m.reachable or decision.at is None or m.channel is None or m.address_enc is None:
                counts[Verdict.NEVER] += 1
                continue
            counts[decision.verdict] += 1
            due = decision.at + self._offset(index, m.channel)
            index += 1
            recipients.append({"prompt_id": prompt.prompt_id, "pseudonym": m.pseudonym,
                               "group_id": group.group_id, "due_at": due,
                               "open_until": due + self._policy.open_for})
            if m.lang not in payloads:
                payloads[m.lang] = encode(prompt_message(prompt, group, m.lang))
            rows[m.pseudonym] = {
                "idempotency_key": recipient_key(prompt.prompt_id, m.pseudonym), "pseudonym": m.pseudonym,
                "channel": m.channel, "address_enc": m.address_enc, "payload": payloads[m.lang],
                "priority": BULK, "status": "pending", "due_at": due, "attempts": 0, "created_at": now,
            }
        db = self._store.db
        params: dict[str, Any] = {"pid": prompt.prompt_id, "to": members[-1].pseudonym,
                                  "now_n": counts[Verdict.NOW], "later_n": counts[Verdict.LATER],
                                  "never_n": counts[Verdict.NEVER]}
        if prompt.cursor is None:
            moved = _MOVE_FROM_START
        else:
            moved, params["was"] = _MOVE_CURSOR, prompt.cursor
        add_recipients = _add_recipients(db.dialect)
        add_outbox = insert_ignore(db.dialect, outbox)

        def work(conn: Connection) -> list[str]:
            if conn.execute(moved, params).rowcount != 1:
                raise _Moved
            new: list[str] = []
            if recipients:
                new = [r[0] for r in conn.execute(add_recipients, recipients).all()]
            if new:
                conn.execute(add_outbox, [rows[p] for p in new])
            return new

        new = await db.run(work)
        return len(new), counts[Verdict.NEVER]
