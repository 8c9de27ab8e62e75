"""The quote review queue: no participant's words reach a digest unreviewed.

Open answers and raised topics are stored anonymised, but an anonymiser misses
things ("[NAAM] de Vries"). A reviewer (official or client-council member)
approves a quote as it is, approves it with their own redaction, or rejects it.
Candidates whose text still looks risky (a capitalised word mid-sentence, a run
of digits, an @ or a link) are *held*: they are not offered unless the reviewer
asks for them. The queue points at the anonymised row; when a participant is
erased, the join finds nothing and the quote is gone too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from bot.digest.weeks import week_of
from bot.stores.sql._dialect import insert_ignore
from bot.stores.sql.database import Database
from bot.stores.sql.tables import answers, quote_reviews, topics

__all__ = ["ReviewItem", "ReviewQueue", "leftover_risk"]


_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_-]*\]")
_DIGITS = re.compile(r"\d[\d\s-]{2,}\d")
_LINK = re.compile(r"https?://|www\.|@", re.IGNORECASE)
_CAPITAL = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]{2,}")
MAX_QUOTE = 280


def leftover_risk(text: str) -> str | None:
    """Why ``text`` (already anonymised) may still identify someone, or None."""
    plain = _PLACEHOLDER.sub("x", text)
    if _DIGITS.search(plain):
        return "digits"
    if _LINK.search(plain):
        return "address or link"
    if _CAPITAL.search(plain.strip()):
        return "capitalised word (a name?)"
    if len(text) > MAX_QUOTE:
        return "long text"
    return None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: int
    source: str
    dialogue_id: str | None
    step_id: str | None
    iso_week: str
    status: str
    risk: str | None
    text: str
    useful: bool


class ReviewQueue:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def fill(self, municipality: str, week: str, at: datetime) -> int:
        """Queue this week's open answers and raised topics not queued before; how many."""
        found_answers = select(
            answers.c.id, answers.c.dialogue_id, answers.c.step_id, answers.c.text
        ).where(
            answers.c.municipality == municipality,
            answers.c.iso_week == week,
            answers.c.step_type == "open_text",
            answers.c.skipped.is_(False),
            answers.c.text.is_not(None),
            answers.c.text != "",
        )
        found_topics = select(topics.c.id, topics.c.text).where(
            topics.c.municipality == municipality,
            topics.c.iso_week == week,
            topics.c.text != "",
        )
        queue = insert_ignore(self._db.dialect, quote_reviews).returning(quote_reviews.c.id)

        def work(conn: Connection) -> int:
            rows = [
                _candidate("answer", i, municipality, week, dialogue, step, text, at)
                for i, dialogue, step, text in conn.execute(found_answers)
            ]
            rows += [
                _candidate("topic", i, municipality, week, None, None, text, at)
                for i, text in conn.execute(found_topics)
            ]
            if not rows:
                return 0
            return len(conn.execute(queue, rows).all())

        return await self._db.run(work)

    async def items(
        self, municipality: str, week: str, *, statuses: tuple[str, ...] = ("pending",)
    ) -> list[ReviewItem]:
        statements = [
            (
                source,
                select(
                    quote_reviews.c.id,
                    quote_reviews.c.dialogue_id,
                    quote_reviews.c.step_id,
                    quote_reviews.c.iso_week,
                    quote_reviews.c.status,
                    quote_reviews.c.risk,
                    func.coalesce(quote_reviews.c.edited_text, table.c.text),
                    quote_reviews.c.useful,
                )
                .select_from(quote_reviews.join(table, table.c.id == quote_reviews.c.source_id))
                .where(
                    quote_reviews.c.source == source,
                    quote_reviews.c.municipality == municipality,
                    quote_reviews.c.iso_week == week,
                    quote_reviews.c.status.in_(list(statuses)),
                )
                .order_by(quote_reviews.c.id),
            )
            for source, table in (("answer", answers), ("topic", topics))
        ]

        def work(conn: Connection) -> list[ReviewItem]:
            return [
                ReviewItem(int(r[0]), source, r[1], r[2], r[3], r[4], r[5], str(r[6]), bool(r[7]))
                for source, stmt in statements
                for r in conn.execute(stmt)
            ]

        found = await self._db.run(work)
        return sorted(found, key=lambda i: i.id)

    async def approve(
        self, item_id: int, reviewer: str, at: datetime, text: str | None = None
    ) -> bool:
        """Approve as stored, or with ``text`` as the reviewer's own redaction."""
        values: dict[str, object] = {
            "status": "approved",
            "reviewed_by": reviewer,
            "reviewed_at": at,
        }
        if text is not None:
            cleaned = " ".join(text.split())
            if not cleaned:
                raise ValueError("the edited quote is empty")
            values["edited_text"] = cleaned[:MAX_QUOTE]
        return await self._set(item_id, values)

    async def reject(self, item_id: int, reviewer: str, at: datetime) -> bool:
        return await self._set(
            item_id, {"status": "rejected", "reviewed_by": reviewer, "reviewed_at": at}
        )

    async def mark_useful(self, item_id: int, reviewer: str, at: datetime) -> bool:
        """An official found this suggestion useful (a headline figure, counted in the mark's week)."""
        return await self._set(
            item_id, {"useful": True, "useful_week": week_of(at), "reviewed_by": reviewer}
        )

    async def _set(self, item_id: int, values: dict[str, object]) -> bool:
        stmt = update(quote_reviews).where(quote_reviews.c.id == item_id).values(**values)

        def work(conn: Connection) -> bool:
            return bool(conn.execute(stmt).rowcount)

        return await self._db.run(work)


def _candidate(
    source: str,
    source_id: int,
    municipality: str,
    week: str,
    dialogue: str | None,
    step: str | None,
    text: str,
    at: datetime,
) -> dict[str, object]:
    risk = leftover_risk(text)
    return {
        "idempotency_key": f"{source}:{source_id}",
        "source": source,
        "source_id": source_id,
        "municipality": municipality,
        "dialogue_id": dialogue,
        "step_id": step,
        "iso_week": week,
        "status": "held" if risk else "pending",
        "risk": risk,
        "useful": False,
        "created_at": at,
    }
