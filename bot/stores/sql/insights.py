"""The insight store: what participants answered, anonymised, per municipality.

Every record carries its municipality (tenancy) and the pseudonym only to count
unique and returning participants. Free text arrives here already anonymised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, bindparam, delete, func, select, update

from bot.stores.sql._dialect import insert_ignore, upsert
from bot.stores.sql.database import Database
from bot.stores.sql.tables import (
    answers,
    completions,
    metadata,
    participants,
    topics,
)

__all__ = ["AnswerRecord", "InsightStore", "Participant", "iso_week"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_SET_ACTIVE = update(participants).where(participants.c.pseudonym == bindparam("p")).values(
    active=bindparam("a")
)
_UNREACHABLE = (
    update(participants).where(participants.c.pseudonym == bindparam("p")).values(unreachable=True, active=False)
)
_WROTE = update(participants).where(participants.c.pseudonym == bindparam("p")).values(
    last_inbound_at=bindparam("at")
)
_PARTICIPANT = select(participants).where(participants.c.pseudonym == bindparam("p"))


def _linked_tables() -> list[Table]:
    """Every table that links rows to a participant, children before parents."""
    return [t for t in reversed(metadata.sorted_tables) if "pseudonym" in t.c]


def iso_week(at: datetime) -> str:
    """ISO week of ``at`` in Dutch local time, like ``2026-W47``."""
    year, week, _ = at.astimezone(AMSTERDAM).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    idempotency_key: str
    pseudonym: str
    municipality: str
    domain: str
    step_id: str
    step_type: str
    lang: str
    answered_at: datetime
    dialogue_id: str | None = None
    prompt_id: str | None = None
    group_id: str | None = None
    option_ids: tuple[str, ...] = ()
    number: float | None = None
    text: str | None = None  # anonymised
    skipped: bool = False
    themes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Participant:
    pseudonym: str
    channel: str
    municipality: str | None
    lang: str
    active: bool
    unreachable: bool
    group_id: str | None
    last_inbound_at: datetime | None


class InsightStore:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enrol(
        self, pseudonym: str, channel: str, municipality: str | None, lang: str, at: datetime
    ) -> None:
        """Create or update the participant's record (municipality and language)."""
        values = {
            "pseudonym": pseudonym,
            "channel": channel,
            "municipality": municipality,
            "lang": lang,
            "active": True,
            "unreachable": False,
            "created_at": at,
            "last_inbound_at": at,
        }
        update_cols = ("lang", "last_inbound_at") + (("municipality",) if municipality else ())
        stmt = upsert(self._db.dialect, participants, "pseudonym", update_cols)
        await self._db.run(lambda conn: conn.execute(stmt, values))

    async def wrote(self, pseudonym: str, at: datetime) -> None:
        """The participant sent a message at ``at``: it opens a platform's service window."""
        await self._db.run(lambda conn: conn.execute(_WROTE, {"p": pseudonym, "at": at}))

    async def set_active(self, pseudonym: str, active: bool) -> None:
        await self._db.run(lambda conn: conn.execute(_SET_ACTIVE, {"p": pseudonym, "a": active}))

    async def mark_unreachable(self, pseudonym: str) -> None:
        await self._db.run(lambda conn: conn.execute(_UNREACHABLE, {"p": pseudonym}))

    async def participant(self, pseudonym: str) -> Participant | None:
        row = await self._db.run(lambda conn: conn.execute(_PARTICIPANT, {"p": pseudonym}).first())
        if row is None:
            return None
        return Participant(
            pseudonym=row.pseudonym,
            channel=row.channel,
            municipality=row.municipality,
            lang=row.lang,
            active=row.active,
            unreachable=row.unreachable,
            group_id=row.group_id,
            last_inbound_at=row.last_inbound_at,
        )

    async def add_answer(self, record: AnswerRecord) -> bool:
        """Store one answer; False when its idempotency key was stored before."""
        values = {
            "idempotency_key": record.idempotency_key,
            "pseudonym": record.pseudonym,
            "municipality": record.municipality,
            "domain": record.domain,
            "dialogue_id": record.dialogue_id,
            "prompt_id": record.prompt_id,
            "group_id": record.group_id,
            "step_id": record.step_id,
            "step_type": record.step_type,
            "option_ids": json.dumps(list(record.option_ids)),
            "number": record.number,
            "text": record.text,
            "skipped": record.skipped,
            "themes": json.dumps(list(record.themes)),
            "lang": record.lang,
            "iso_week": iso_week(record.answered_at),
            "answered_at": record.answered_at,
        }
        stmt = insert_ignore(self._db.dialect, answers)
        return await self._db.run(lambda conn: bool(conn.execute(stmt, values).rowcount))

    async def add_completion(
        self,
        idempotency_key: str,
        pseudonym: str,
        municipality: str,
        domain: str,
        dialogue_id: str,
        at: datetime,
    ) -> bool:
        values = {
            "idempotency_key": idempotency_key,
            "pseudonym": pseudonym,
            "municipality": municipality,
            "domain": domain,
            "dialogue_id": dialogue_id,
            "iso_week": iso_week(at),
            "completed_at": at,
        }
        stmt = insert_ignore(self._db.dialect, completions)
        return await self._db.run(lambda conn: bool(conn.execute(stmt, values).rowcount))

    async def add_topic(
        self,
        idempotency_key: str,
        pseudonym: str,
        municipality: str,
        text: str,
        lang: str,
        at: datetime,
        themes: tuple[str, ...] = (),
        group_id: str | None = None,
    ) -> bool:
        """Store a topic a participant raised (text already anonymised)."""
        values = {
            "idempotency_key": idempotency_key,
            "pseudonym": pseudonym,
            "municipality": municipality,
            "group_id": group_id,
            "text": text,
            "themes": json.dumps(list(themes)),
            "lang": lang,
            "iso_week": iso_week(at),
            "raised_at": at,
        }
        stmt = insert_ignore(self._db.dialect, topics)
        return await self._db.run(lambda conn: bool(conn.execute(stmt, values).rowcount))

    async def erase(self, pseudonym: str) -> int:
        """Delete every row linked to ``pseudonym`` in every table; the count deleted.

        Every table with a ``pseudonym`` column is covered, so a table added later
        cannot be forgotten here.
        """

        def work(conn: Connection) -> int:
            return sum(
                conn.execute(delete(table).where(table.c.pseudonym == pseudonym)).rowcount or 0
                for table in _linked_tables()
            )

        return await self._db.run(work)

    async def rekey(self, old: str, new: str) -> int:
        """Move every row from pseudonym ``old`` to ``new`` (pseudonym key rotation)."""

        def work(conn: Connection) -> int:
            return sum(
                conn.execute(update(table).where(table.c.pseudonym == old).values(pseudonym=new)).rowcount or 0
                for table in _linked_tables()
            )

        return await self._db.run(work)

    async def count_answers(self, municipality: str | None = None) -> int:
        stmt = select(func.count()).select_from(answers)
        if municipality is not None:
            stmt = stmt.where(answers.c.municipality == municipality)
        return await self._db.run(lambda conn: int(conn.execute(stmt).scalar_one()))
