"""Read-only counts over the insight store for one municipality and a few weeks.

Everything here is raw (not yet small-cell suppressed) and stays in memory:
:mod:`bot.digest.build` applies :func:`bot.digest.small_cells.suppress` before
anything is shown. Queries aggregate in SQL where that is cheap and portable
and finish in Python where JSON columns (option ids, themes) need splitting,
so SQLite and PostgreSQL run the same statements.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Connection, Row, Select, and_, case, distinct, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from bot.stores.sql.database import Database
from bot.stores.sql.tables import answers, completions, feedback, quote_reviews, topics

__all__ = ["Activity", "AnswerCounts", "InsightQueries", "Quote", "Scope"]


@dataclass(frozen=True, slots=True)
class Scope:
    """What one digest covers: a municipality, optionally narrowed to domains and themes."""

    municipality: str
    domains: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()


@dataclass(slots=True)
class Activity:
    """Per week: people, answers and suggestions; per dialogue: who started and finished."""

    unique: dict[str, int] = field(default_factory=dict)
    returning: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    suggestions: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    useful: dict[str, int] = field(default_factory=dict)
    initiatives: dict[str, int] = field(default_factory=dict)
    #: (week, dialogue) -> people who answered at least one question / of those, completed.
    starters: dict[tuple[str, str], int] = field(default_factory=dict)
    completers: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(slots=True)
class AnswerCounts:
    """People per answer, by (week, dialogue, step); numbers kept for binning."""

    options: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    numbers: dict[tuple[str, str, str], list[tuple[str, float]]] = field(default_factory=dict)
    respondents: dict[tuple[str, str, str], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Quote:
    review_id: int
    dialogue_id: str | None
    step_id: str | None
    text: str


class InsightQueries:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def _answer_filter(self, scope: Scope, weeks: Sequence[str]) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = [
            answers.c.municipality == scope.municipality,
            answers.c.iso_week.in_(list(weeks)),
            answers.c.skipped.is_(False),
        ]
        if scope.domains:
            conditions.append(answers.c.domain.in_(list(scope.domains)))
        return and_(*conditions)

    async def activity(self, scope: Scope, weeks: Sequence[str]) -> Activity:
        where = self._answer_filter(scope, weeks)
        is_suggestion = and_(
            answers.c.step_type == "open_text", answers.c.text.is_not(None), answers.c.text != ""
        )
        per_person = (
            select(
                answers.c.iso_week,
                answers.c.dialogue_id,
                answers.c.pseudonym,
                func.count().label("n"),
                func.sum(case((is_suggestion, 1), else_=0)).label("s"),
            )
            .where(where)
            .group_by(answers.c.iso_week, answers.c.dialogue_id, answers.c.pseudonym)
        )
        comp = select(
            completions.c.iso_week, completions.c.dialogue_id, completions.c.pseudonym
        ).where(
            completions.c.municipality == scope.municipality,
            completions.c.iso_week.in_(list(weeks)),
            *([completions.c.domain.in_(list(scope.domains))] if scope.domains else []),
        )
        topics_per_week = (
            select(topics.c.iso_week, func.count())
            .where(topics.c.municipality == scope.municipality, topics.c.iso_week.in_(list(weeks)))
            .group_by(topics.c.iso_week)
        )
        useful_per_week = (
            select(quote_reviews.c.useful_week, func.count())
            .where(
                quote_reviews.c.municipality == scope.municipality,
                quote_reviews.c.useful.is_(True),
                quote_reviews.c.useful_week.in_(list(weeks)),
            )
            .group_by(quote_reviews.c.useful_week)
        )
        initiatives_per_week = (
            select(feedback.c.iso_week, func.count())
            .where(
                feedback.c.municipality == scope.municipality,
                feedback.c.target_kind == "topic",
                feedback.c.status.in_(["adopted", "in_progress"]),
                feedback.c.iso_week.in_(list(weeks)),
            )
            .group_by(feedback.c.iso_week)
        )

        def work(conn: Connection) -> Activity:
            out = Activity()
            people: dict[str, set[str]] = defaultdict(set)
            starters: dict[tuple[str, str], set[str]] = defaultdict(set)
            for week, dialogue, pseudonym, n, s in conn.execute(per_person):
                people[week].add(pseudonym)
                out.answers[week] = out.answers.get(week, 0) + int(n)
                out.suggestions[week] = out.suggestions.get(week, 0) + int(s or 0)
                if dialogue is not None:
                    starters[(week, dialogue)].add(pseudonym)
            out.unique = {w: len(p) for w, p in people.items()}
            out.starters = {key: len(p) for key, p in starters.items()}
            out.returning = _returning(conn, scope, weeks, people)
            finished: dict[tuple[str, str], set[str]] = defaultdict(set)
            for week, dialogue, pseudonym in conn.execute(comp):
                if pseudonym in starters.get((week, dialogue), ()):
                    finished[(week, dialogue)].add(pseudonym)
            out.completers = {key: len(p) for key, p in finished.items()}
            out.topics = _per_week(conn, topics_per_week)
            out.useful = _per_week(conn, useful_per_week)
            out.initiatives = _per_week(conn, initiatives_per_week)
            return out

        return await self._db.run(work)

    async def answer_counts(self, scope: Scope, weeks: Sequence[str]) -> AnswerCounts:
        """People per option (JSON arrays split in SQL), respondents per step, numbers per person."""
        where = and_(self._answer_filter(scope, weeks), answers.c.step_type != "open_text",
                     answers.c.dialogue_id.is_not(None))
        if self._db.dialect == "postgresql":
            option = func.json_array_elements_text(func.cast(answers.c.option_ids, JSON)).table_valued(
                "value").render_derived(name="opt")
        else:
            option = func.json_each(answers.c.option_ids).table_valued("value", name="opt")
        per_option = (
            select(answers.c.iso_week, answers.c.dialogue_id, answers.c.step_id, option.c.value,
                   func.count(distinct(answers.c.pseudonym)))
            .select_from(answers.join(option, true()))
            .where(where, answers.c.number.is_(None))
            .group_by(answers.c.iso_week, answers.c.dialogue_id, answers.c.step_id, option.c.value)
        )
        per_step = (
            select(answers.c.iso_week, answers.c.dialogue_id, answers.c.step_id,
                   func.count(distinct(answers.c.pseudonym)))
            .where(where)
            .group_by(answers.c.iso_week, answers.c.dialogue_id, answers.c.step_id)
        )
        numbers = select(answers.c.iso_week, answers.c.dialogue_id, answers.c.step_id, answers.c.pseudonym,
                         answers.c.number).where(where, answers.c.number.is_not(None))

        def work(conn: Connection) -> AnswerCounts:
            out = AnswerCounts()
            for week, dialogue, step, value, n in conn.execute(per_option):
                out.options.setdefault((week, dialogue, step), {})[str(value)] = int(n)
            for week, dialogue, step, n in conn.execute(per_step):
                out.respondents[(week, dialogue, step)] = int(n)
            for week, dialogue, step, pseudonym, number in conn.execute(numbers):
                out.numbers.setdefault((week, dialogue, step), []).append((pseudonym, float(number)))
            return out

        return await self._db.run(work)

    async def free_text_themes(self, scope: Scope, week: str) -> dict[str, dict[str, set[str]]]:
        """dialogue -> theme -> people whose open answer carried that theme."""
        stmt = select(answers.c.dialogue_id, answers.c.pseudonym, answers.c.themes).where(
            self._answer_filter(scope, [week]),
            answers.c.step_type == "open_text",
            answers.c.themes != "[]",
        )

        def work(conn: Connection) -> Sequence[Row[Any]]:
            return conn.execute(stmt).all()

        out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for dialogue, pseudonym, themes in await self._db.run(work):
            for theme in json.loads(themes):
                if not scope.themes or theme in scope.themes:
                    out[dialogue or ""][theme].add(pseudonym)
        return out

    async def topic_themes(self, scope: Scope, week: str) -> dict[str, set[str]]:
        """theme -> people who raised a topic about it this week."""
        stmt = select(topics.c.pseudonym, topics.c.themes).where(
            topics.c.municipality == scope.municipality, topics.c.iso_week == week
        )

        def work(conn: Connection) -> Sequence[Row[Any]]:
            return conn.execute(stmt).all()

        out: dict[str, set[str]] = defaultdict(set)
        for pseudonym, themes in await self._db.run(work):
            for theme in json.loads(themes) or ["(geen thema)"]:
                if not scope.themes or theme in scope.themes:
                    out[theme].add(pseudonym)
        return out

    async def quotes(self, scope: Scope, week: str, limit: int = 5) -> list[Quote]:
        """Quotes a reviewer approved for this week, newest review first."""
        statements = []
        for source, table in (("answer", answers), ("topic", topics)):
            stmt = (
                select(
                    quote_reviews.c.id,
                    quote_reviews.c.dialogue_id,
                    quote_reviews.c.step_id,
                    func.coalesce(quote_reviews.c.edited_text, table.c.text),
                )
                .select_from(quote_reviews.join(table, table.c.id == quote_reviews.c.source_id))
                .where(
                    quote_reviews.c.source == source,
                    quote_reviews.c.status == "approved",
                    quote_reviews.c.municipality == scope.municipality,
                    quote_reviews.c.iso_week == week,
                )
                .order_by(quote_reviews.c.reviewed_at.desc(), quote_reviews.c.id)
            )
            if source == "answer" and scope.domains:
                stmt = stmt.where(answers.c.domain.in_(list(scope.domains)))
            statements.append(stmt)

        def work(conn: Connection) -> list[Quote]:
            return [
                Quote(int(i), d, s, str(t))
                for stmt in statements
                for i, d, s, t in conn.execute(stmt)
            ]

        return await self._db.run(work)


def _returning(
    conn: Connection, scope: Scope, weeks: Sequence[str], people: Mapping[str, set[str]]
) -> dict[str, int]:
    """People active in a week who had answered in an earlier week (same municipality).

    Earlier weeks inside the window come from ``people``; before the window, one
    DISTINCT over older rows (cheaper than a per-person MIN(iso_week) on PostgreSQL,
    where text comparison follows the collation).
    """
    conditions = [answers.c.municipality == scope.municipality, answers.c.skipped.is_(False),
                  answers.c.iso_week < min(weeks)]
    if scope.domains:
        conditions.append(answers.c.domain.in_(list(scope.domains)))
    seen = {p for (p,) in conn.execute(select(answers.c.pseudonym).where(*conditions).distinct())}
    out: dict[str, int] = {}
    for week in sorted(weeks):
        active = people.get(week, set())
        out[week] = len(active & seen)
        seen |= active
    return out


def _per_week(conn: Connection, stmt: Select[Any]) -> dict[str, int]:
    return {str(w): int(n) for w, n in conn.execute(stmt) if w is not None}
