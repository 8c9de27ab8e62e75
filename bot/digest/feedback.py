"""Feedback to participants: what the municipality did with what they said.

An official records a note on a dialogue, a theme or a raised topic (adopted,
in progress, not now) with a short B1 text per language. :meth:`FeedbackStore.fan_out`
puts one message in the outbox for every participant who contributed, in their
language, once each (``feedback_recipients`` is keyed on feedback + pseudonym),
with BULK priority so conversations go first, outside quiet hours, and naming
the WhatsApp template purpose "feedback" for people outside the 24-hour window.
Officials only ever see counts: how many it was queued for and how many it reached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Exists,
    Row,
    Select,
    and_,
    exists,
    func,
    insert,
    select,
    update,
)

from bot.delivery.payload import encode
from bot.digest.weeks import AMSTERDAM, week_of
from bot.messages import OutboundMessage
from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.addresses import AddressBook
from bot.stores.sql.database import Database
from bot.stores.sql.outbox import BULK, Outbox, OutboxItem
from bot.stores.sql.tables import (
    answers,
    completions,
    delivery_log,
    feedback,
    feedback_recipients,
    outbox,
    participants,
    topics,
)

__all__ = [
    "FanOut",
    "FeedbackNote",
    "FeedbackRecord",
    "FeedbackStore",
    "compose",
    "quiet_hours_end",
]

STATUSES = ("adopted", "in_progress", "not_now")
KINDS = ("dialogue", "theme", "topic")
MAX_TEXT = 400
#: No bulk messages to young people late in the evening or at night (Dutch time).
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(9, 0)

_STATUS_TEXT = {
    "adopted": {
        "nl": "De gemeente gaat ermee aan de slag.",
        "en": "The municipality is going to act on it.",
    },
    "in_progress": {
        "nl": "De gemeente is er nu mee bezig.",
        "en": "The municipality is working on it now.",
    },
    "not_now": {
        "nl": "De gemeente doet er nu nog niets mee.",
        "en": "The municipality is not acting on it yet.",
    },
}
_INTRO = {
    "dialogue": {
        "nl": "Je deed mee met „{title}”. Dit is er met jullie antwoorden gebeurd:",
        "en": "You took part in “{title}”. This is what happened with your answers:",
    },
    "theme": {
        "nl": "Je vertelde ons iets over {title}. Dit is er mee gebeurd:",
        "en": "You told us something about {title}. This is what happened with it:",
    },
    "topic": {
        "nl": "Je kaartte een onderwerp aan bij de gemeente. Dit is er mee gebeurd:",
        "en": "You raised a topic with the municipality. This is what happened with it:",
    },
}
_THANKS = {"nl": "Bedankt dat je meedacht!", "en": "Thank you for sharing your ideas!"}


@dataclass(frozen=True, slots=True)
class FeedbackNote:
    municipality: str
    target_kind: str
    target_id: str
    status: str
    text_nl: str
    text_en: str | None = None
    official_id: str | None = None

    def check(self) -> None:
        if self.target_kind not in KINDS:
            raise ValueError(f"--on must be one of {', '.join(KINDS)}")
        if self.status not in STATUSES:
            raise ValueError(f"--status must be one of {', '.join(STATUSES)}")
        for name, text in (("--text-nl", self.text_nl), ("--text-en", self.text_en)):
            if text is not None and not 1 <= len(text.strip()) <= MAX_TEXT:
                raise ValueError(
                    f"{name} must be 1 to {MAX_TEXT} characters (short and in plain words)"
                )


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    id: int
    note: FeedbackNote
    iso_week: str
    created_at: datetime
    recipients: int
    fanned_out: bool


@dataclass(frozen=True, slots=True)
class FanOut:
    queued: int  # new messages put in the outbox now
    recipients: int  # everyone this feedback was ever queued for


def quiet_hours_end(now: datetime) -> datetime:
    """``now``, or the end of the quiet hours (09:00 Dutch time) when ``now`` falls inside them."""
    local = now.astimezone(AMSTERDAM)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return now
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, AMSTERDAM).astimezone(now.tzinfo)


def compose(note: FeedbackNote, lang: str, title: str) -> OutboundMessage:
    """The chat message one participant gets, in their language (Dutch when no English text)."""
    lang = "en" if lang == "en" and note.text_en else "nl"
    text = note.text_en if lang == "en" and note.text_en else note.text_nl
    body = "\n\n".join(
        [
            _INTRO[note.target_kind][lang].format(title=title),
            f"{_STATUS_TEXT[note.status][lang]} {text.strip()}",
            _THANKS[lang],
        ]
    )
    return OutboundMessage(
        body, bulk=True, template="feedback", template_params=(text.strip()[:200],), lang=lang
    )


class FeedbackStore:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, note: FeedbackNote, at: datetime) -> int:
        note.check()
        values = {
            "municipality": note.municipality,
            "target_kind": note.target_kind,
            "target_id": note.target_id,
            "status": note.status,
            "text_nl": note.text_nl.strip(),
            "text_en": note.text_en.strip() if note.text_en else None,
            "official_id": note.official_id,
            "iso_week": week_of(at),
            "created_at": at,
            "recipients": 0,
        }
        stmt = insert(feedback).returning(feedback.c.id)

        def work(conn: Connection) -> int:
            return int(conn.execute(stmt, values).scalar_one())

        return await self._db.run(work)

    async def get(self, feedback_id: int) -> FeedbackRecord | None:
        stmt = select(feedback).where(feedback.c.id == feedback_id)

        def work(conn: Connection) -> Row[Any] | None:
            return conn.execute(stmt).first()

        row = await self._db.run(work)
        return None if row is None else _record(row)

    async def for_week(self, municipality: str, week: str) -> list[FeedbackRecord]:
        stmt = (
            select(feedback)
            .where(feedback.c.municipality == municipality, feedback.c.iso_week == week)
            .order_by(feedback.c.id)
        )

        def work(conn: Connection) -> Sequence[Row[Any]]:
            return conn.execute(stmt).all()

        return [_record(r) for r in await self._db.run(work)]

    async def contributors(self, record: FeedbackRecord) -> list[tuple[str, str]]:
        """(pseudonym, language) of every reachable participant who contributed to the target."""
        note = record.note
        source: Select[Any] | CompoundSelect
        if note.target_kind == "dialogue":
            source = (
                select(answers.c.pseudonym)
                .where(
                    answers.c.municipality == note.municipality,
                    answers.c.dialogue_id == note.target_id,
                    answers.c.skipped.is_(False),
                )
                .union(
                    select(completions.c.pseudonym).where(
                        completions.c.municipality == note.municipality,
                        completions.c.dialogue_id == note.target_id,
                    )
                )
            )
        elif note.target_kind == "theme":
            pattern = "%" + json.dumps(note.target_id) + "%"
            source = (
                select(answers.c.pseudonym)
                .where(
                    answers.c.municipality == note.municipality,
                    answers.c.themes.like(pattern),
                )
                .union(
                    select(topics.c.pseudonym).where(
                        topics.c.municipality == note.municipality,
                        topics.c.themes.like(pattern),
                    )
                )
            )
        else:
            topic_id = int(note.target_id) if note.target_id.isdigit() else -1
            source = select(topics.c.pseudonym).where(
                topics.c.municipality == note.municipality, topics.c.id == topic_id
            )
        who = source.subquery()
        stmt = (
            select(participants.c.pseudonym, participants.c.lang)
            .where(
                participants.c.pseudonym.in_(select(who.c.pseudonym)),
                participants.c.active.is_(True),
                participants.c.unreachable.is_(False),
            )
            .order_by(participants.c.pseudonym)
        )

        def work(conn: Connection) -> list[tuple[str, str]]:
            return [(p, lang) for p, lang in conn.execute(stmt)]

        return await self._db.run(work)

    async def fan_out(
        self,
        feedback_id: int,
        addresses: AddressBook,
        box: Outbox,
        now: datetime,
        title: Callable[[FeedbackNote, str], str],
    ) -> FanOut:
        """Queue the feedback for every contributor who has not had it; safe to run again.

        Recipients are recorded first, then their messages queued. A run that
        stopped in between is repaired by the next one: a recorded recipient
        whose message is neither queued nor delivered gets it queued again.
        """
        record = await self.get(feedback_id)
        if record is None:
            raise LookupError(f"no feedback with id {feedback_id}")
        due = quiet_hours_end(now)
        people = await self.contributors(record)
        rows = [
            {
                "idempotency_key": _key("recipient", feedback_id, p),
                "feedback_id": feedback_id,
                "pseudonym": p,
                "outbox_key": _key("outbox", feedback_id, p),
                "queued_at": now,
            }
            for p, _ in people
        ]
        record_recipients = insert_ignore(self._db.dialect, feedback_recipients)
        undelivered = _undelivered(feedback_id)

        def work(conn: Connection) -> list[tuple[str, str]]:
            if rows:
                conn.execute(record_recipients, rows)
            return [(p, k) for p, k in conn.execute(undelivered)]

        langs = dict(people)
        items: list[OutboxItem] = []
        for pseudonym, outbox_key in await self._db.run(work):
            found = await addresses.get(pseudonym)
            if found is None or pseudonym not in langs:
                continue
            channel, sealed = found
            lang = langs[pseudonym]
            message = compose(record.note, lang, title(record.note, lang))
            items.append(
                OutboxItem(outbox_key, channel, sealed, encode(message), due, pseudonym, BULK)
            )
        queued = await box.enqueue(items, now)
        count = (
            select(func.count())
            .select_from(feedback_recipients)
            .where(feedback_recipients.c.feedback_id == feedback_id)
        )

        def finish(conn: Connection) -> int:
            total = int(conn.execute(count).scalar_one())
            conn.execute(
                update(feedback)
                .where(feedback.c.id == feedback_id)
                .values(fanned_out_at=now, recipients=total)
            )
            return total

        total = await self._db.run(finish)
        return FanOut(queued=queued, recipients=total)

    async def reached(self, feedback_ids: list[int]) -> dict[int, int]:
        """Per feedback: participants whose message left the outbox and was delivered."""
        if not feedback_ids:
            return {}
        fr = feedback_recipients
        stmt = (
            select(fr.c.feedback_id, func.count())
            .where(
                fr.c.feedback_id.in_(feedback_ids),
                ~exists().where(outbox.c.idempotency_key == fr.c.outbox_key),
                _delivered(),
            )
            .group_by(fr.c.feedback_id)
        )

        def work(conn: Connection) -> dict[int, int]:
            return {int(i): int(n) for i, n in conn.execute(stmt)}

        return await self._db.run(work)


def _undelivered(feedback_id: int) -> Select[tuple[str, str]]:
    """Recorded recipients whose message is neither in the outbox nor delivered."""
    fr = feedback_recipients
    return select(fr.c.pseudonym, fr.c.outbox_key).where(
        fr.c.feedback_id == feedback_id,
        ~exists().where(outbox.c.idempotency_key == fr.c.outbox_key),
        ~_delivered(),
    )


def _delivered() -> Exists:
    fr = feedback_recipients
    return exists().where(
        and_(
            delivery_log.c.pseudonym == fr.c.pseudonym,
            delivery_log.c.state == "sent",
            delivery_log.c.at >= fr.c.queued_at,
        )
    )


def _key(kind: str, feedback_id: int, pseudonym: str) -> str:
    return hashlib.sha256(f"feedback:{kind}:{feedback_id}:{pseudonym}".encode()).hexdigest()


def _record(row: object) -> FeedbackRecord:
    r = row._mapping  # type: ignore[attr-defined]
    note = FeedbackNote(
        r["municipality"],
        r["target_kind"],
        r["target_id"],
        r["status"],
        r["text_nl"],
        r["text_en"],
        r["official_id"],
    )
    return FeedbackRecord(
        int(r["id"]),
        note,
        r["iso_week"],
        r["created_at"],
        int(r["recipients"]),
        r["fanned_out_at"] is not None,
    )
