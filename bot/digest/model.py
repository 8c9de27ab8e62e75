"""What a digest shows, already small-cell suppressed: ``None`` means "fewer than k"."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DialogueSection", "Digest", "FeedbackLine", "Question", "Row", "Trend"]


@dataclass(frozen=True, slots=True)
class Trend:
    """One figure over consecutive weeks, oldest first; the last is this week."""

    key: str
    label: str
    weeks: tuple[str, ...]
    values: tuple[float | None, ...]
    percent: bool = False

    @property
    def current(self) -> float | None:
        return self.values[-1]

    @property
    def previous(self) -> float | None:
        return self.values[-2] if len(self.values) > 1 else None

    @property
    def change(self) -> float | None:
        """This week minus last week, only when both are shown."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True, slots=True)
class Row:
    """One answer option: people who chose it and their share of the question's respondents."""

    label: str
    count: int | None
    share: float | None
    previous_share: float | None = None

    @property
    def change_points(self) -> float | None:
        if self.share is None or self.previous_share is None:
            return None
        return round((self.share - self.previous_share) * 100, 1)


@dataclass(frozen=True, slots=True)
class Question:
    step_id: str
    text: str
    respondents: int | None
    rows: tuple[Row, ...]
    multiple: bool = False


@dataclass(frozen=True, slots=True)
class DialogueSection:
    id: str
    title: str
    participants: Trend
    completion: Trend
    questions: tuple[Question, ...]
    themes: tuple[tuple[str, int], ...]
    quotes: tuple[str, ...]
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedbackLine:
    target: str
    status: str
    text: str
    queued: int | None
    reached: int | None


@dataclass(frozen=True, slots=True)
class Digest:
    municipality: str
    municipality_name: str
    week: str
    lang: str
    k: int
    headline: tuple[Trend, ...]
    dialogues: tuple[DialogueSection, ...]
    topics: Trend
    topic_themes: tuple[tuple[str, int], ...]
    topic_quotes: tuple[str, ...]
    feedback: tuple[FeedbackLine, ...]
    scope: str = ""

    @property
    def weeks(self) -> tuple[str, ...]:
        return self.headline[0].weeks if self.headline else (self.week,)
