"""Turn raw counts into a :class:`~bot.digest.model.Digest` a person may read.

Every number passes :func:`bot.digest.small_cells.suppress` here, before any
template, chart or CSV sees it; nothing downstream can show a hidden cell
because it never receives the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.dialogue.catalog import Catalog
from bot.dialogue.model import Dialogue, Step, StepType
from bot.digest.feedback import FeedbackStore
from bot.digest.model import DialogueSection, Digest, FeedbackLine, Question, Row, Trend
from bot.digest.queries import Activity, AnswerCounts, InsightQueries, Scope
from bot.digest.small_cells import K_DEFAULT, hide, rate, suppress
from bot.digest.texts import STATUS, t
from bot.digest.weeks import previous_week, weeks_back

__all__ = ["TREND_WEEKS", "DigestBuilder"]

TREND_WEEKS = 4
MAX_THEMES = 5
MAX_QUOTES = 5
CHANGE_POINTS = 10.0  # a share that moved this many percentage points is worth a line
NUMBER_BINS = 5


@dataclass(frozen=True, slots=True)
class DigestBuilder:
    queries: InsightQueries
    feedback: FeedbackStore
    catalog: Catalog
    municipality_names: Mapping[str, str]
    k: int = K_DEFAULT

    async def build(self, scope: Scope, week: str, lang: str = "nl") -> Digest:
        weeks = weeks_back(week, TREND_WEEKS)
        activity = await self.queries.activity(scope, weeks)
        counts = await self.queries.answer_counts(scope, (previous_week(week), week))
        themes = await self.queries.free_text_themes(scope, week)
        quotes = await self.queries.quotes(scope, week)
        headline = tuple(
            self._trend(key, lang, weeks, getattr(activity, key))
            for key in ("unique", "answers", "suggestions", "useful", "initiatives")
        )
        returning = Trend(
            "returning",
            t("returning", lang),
            weeks,
            tuple(_returning(activity, w, self.k) for w in weeks),
        )
        topics = self._trend("topics", lang, weeks, activity.topics)
        headline = (headline[0], returning, *headline[1:2], topics, *headline[2:])
        sections = []
        for dialogue in self._dialogues(scope, activity, week):
            sections.append(
                self._section(
                    dialogue,
                    scope,
                    week,
                    weeks,
                    lang,
                    activity,
                    counts,
                    themes.get(dialogue.id, {}),
                    [q.text for q in quotes if q.dialogue_id == dialogue.id],
                )
            )
        topic_people = await self.queries.topic_themes(scope, week)
        return Digest(
            municipality=scope.municipality,
            municipality_name=self.municipality_names.get(scope.municipality, scope.municipality),
            week=week,
            lang=lang,
            k=self.k,
            headline=headline,
            dialogues=tuple(sections),
            topics=topics,
            topic_themes=self._top(topic_people),
            topic_quotes=tuple(q.text for q in quotes if q.dialogue_id is None)[:MAX_QUOTES],
            feedback=await self._feedback(scope, week, lang),
            scope=_scope_note(scope, lang),
        )

    def _trend(
        self, key: str, lang: str, weeks: tuple[str, ...], values: Mapping[str, int]
    ) -> Trend:
        return Trend(
            key, t(key, lang), weeks, tuple(hide(values.get(w, 0), k=self.k) for w in weeks)
        )

    def _dialogues(self, scope: Scope, activity: Activity, week: str) -> list[Dialogue]:
        ids = {d for (w, d) in activity.starters if w == week}
        found = [
            d
            for d in self.catalog
            if d.id in ids and (not scope.domains or d.domain in scope.domains)
        ]
        return sorted(found, key=lambda d: -activity.starters.get((week, d.id), 0))

    def _section(
        self,
        dialogue: Dialogue,
        scope: Scope,
        week: str,
        weeks: tuple[str, ...],
        lang: str,
        activity: Activity,
        counts: AnswerCounts,
        themes: Mapping[str, set[str]],
        quotes: list[str],
    ) -> DialogueSection:
        started = Trend(
            "started",
            t("started", lang),
            weeks,
            tuple(hide(activity.starters.get((w, dialogue.id), 0), k=self.k) for w in weeks),
        )
        completion = Trend(
            "completion",
            t("completion", lang),
            weeks,
            tuple(
                rate(
                    activity.completers.get((w, dialogue.id), 0),
                    activity.starters.get((w, dialogue.id), 0),
                    k=self.k,
                )
                for w in weeks
            ),
            percent=True,
        )
        questions: list[Question] = []
        changes: list[str] = []
        if started.current is not None:
            for step in dialogue.steps:
                if not step.is_question or step.type is StepType.OPEN_TEXT:
                    continue
                question = self._question(dialogue, step, week, lang, counts)
                questions.append(question)
                for row in question.rows:
                    if row.change_points is not None and abs(row.change_points) >= CHANGE_POINTS:
                        changes.append(
                            t(
                                "change_line",
                                lang,
                                question=_short_question(question.text),
                                option=row.label,
                                now=_pct(row.share),
                                before=_pct(row.previous_share),
                            )
                        )
        return DialogueSection(
            id=dialogue.id,
            title=dialogue.title.get(lang),
            participants=started,
            completion=completion,
            questions=tuple(questions),
            themes=self._top(themes) if started.current is not None else (),
            quotes=tuple(quotes[:MAX_QUOTES]) if started.current is not None else (),
            changes=tuple(changes),
        )

    def _question(
        self, dialogue: Dialogue, step: Step, week: str, lang: str, counts: AnswerCounts
    ) -> Question:
        labels = _labels(step, lang)
        now = self._cells(dialogue.id, step, week, counts, labels)
        before = self._cells(dialogue.id, step, previous_week(week), counts, labels)
        respondents, cells = now
        before_respondents, before_cells = before
        rows = []
        for option, label in labels.items():
            count = cells.get(option)
            share = count / respondents if count is not None and respondents else None
            prev = before_cells.get(option)
            prev_share = (
                prev / before_respondents if prev is not None and before_respondents else None
            )
            rows.append(Row(label, count, share, prev_share))
        return Question(
            step.id,
            step.text.get(lang),
            respondents,
            tuple(rows),
            multiple=step.type is StepType.MULTIPLE_CHOICE,
        )

    def _cells(
        self,
        dialogue_id: str,
        step: Step,
        week: str,
        counts: AnswerCounts,
        labels: Mapping[str, str],
    ) -> tuple[int | None, dict[str, int | None]]:
        key = (week, dialogue_id, step.id)
        respondents = counts.respondents.get(key, 0)
        raw: dict[str, int] = {}
        if step.type is StepType.NUMBER:
            for option in labels:
                raw[option] = 0
            people: dict[str, set[str]] = {o: set() for o in labels}
            for pseudonym, value in counts.numbers.get(key, ()):
                people[_bin(step, value)].add(pseudonym)
            raw = {o: len(p) for o, p in people.items()}
        else:
            options = counts.options.get(key, {})
            raw = {o: options.get(o, 0) for o in labels}
        shown_total = hide(respondents, k=self.k)
        return shown_total, suppress(raw, k=self.k, total=respondents)

    def _top(self, people: Mapping[str, set[str]]) -> tuple[tuple[str, int], ...]:
        shown = suppress({theme: len(p) for theme, p in people.items()}, k=self.k)
        visible = [(theme, n) for theme, n in shown.items() if n]
        return tuple(sorted(visible, key=lambda x: (-x[1], x[0]))[:MAX_THEMES])

    async def _feedback(self, scope: Scope, week: str, lang: str) -> tuple[FeedbackLine, ...]:
        records = await self.feedback.for_week(scope.municipality, week)
        reached = await self.feedback.reached([r.id for r in records])
        lines = []
        for r in records:
            note = r.note
            target = note.target_id
            if (
                note.target_kind == "dialogue"
                and (d := self.catalog.get(note.target_id)) is not None
            ):
                target = d.title.get(lang)
            elif note.target_kind == "theme":
                target = f"{t('theme', lang)}: {note.target_id}"
            elif note.target_kind == "topic":
                target = t("topics", lang)
            text = note.text_en if lang == "en" and note.text_en else note.text_nl
            lines.append(
                FeedbackLine(
                    target,
                    STATUS[note.status][lang],
                    text,
                    hide(r.recipients, k=self.k),
                    hide(reached.get(r.id, 0), k=self.k),
                )
            )
        return tuple(lines)


def _returning(activity: Activity, week: str, k: int) -> int | None:
    """Returning participants, hidden when they or the newcomers (their complement) are few."""
    unique = activity.unique.get(week, 0)
    back = activity.returning.get(week, 0)
    cells = suppress({"back": back, "new": unique - back}, k=k, total=unique)
    return cells["back"]


def _labels(step: Step, lang: str) -> dict[str, str]:
    if step.type in (StepType.SINGLE_CHOICE, StepType.MULTIPLE_CHOICE):
        return {o.id: o.label.get(lang) for o in step.options}
    if step.type is StepType.YES_NO:
        return {"yes": "Ja" if lang == "nl" else "Yes", "no": "Nee" if lang == "nl" else "No"}
    if step.type is StepType.SCALE:
        low = f" ({step.low_label.get(lang)})" if step.low_label else ""
        high = f" ({step.high_label.get(lang)})" if step.high_label else ""
        return {str(i): f"{i}{low if i == 1 else high if i == 5 else ''}" for i in range(1, 6)}
    assert step.type is StepType.NUMBER and step.min is not None and step.max is not None
    return {_bin_label(step, i): _bin_label(step, i) for i in range(NUMBER_BINS)}


def _edges(step: Step) -> list[float]:
    assert step.min is not None and step.max is not None
    width = (step.max - step.min) / NUMBER_BINS
    return [step.min + width * i for i in range(NUMBER_BINS + 1)]


def _bin_label(step: Step, index: int) -> str:
    edges = _edges(step)
    low, high = edges[index], edges[index + 1]
    if step.integer and index > 0:
        low = int(low) + 1
    return f"{_num(low)}–{_num(high)}"


def _bin(step: Step, value: float) -> str:
    edges = _edges(step)
    for i in range(NUMBER_BINS):
        if value <= edges[i + 1]:
            return _bin_label(step, i)
    return _bin_label(step, NUMBER_BINS - 1)


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _short_question(text: str) -> str:
    """The question's first sentence ("Waar ben je het vaakst?"), without the explanation after it."""
    for mark in ("?", "."):
        if mark in text:
            return text[: text.index(mark) + 1]
    return text


def _pct(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.0f}"


def _scope_note(scope: Scope, lang: str) -> str:
    parts = [*scope.domains, *scope.themes]
    return t("scope", lang, what=", ".join(parts)) if parts else ""
