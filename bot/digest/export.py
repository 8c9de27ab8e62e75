"""The digest's aggregate tables as CSV: one row per published number.

Hidden cells are written as an empty value with the note "fewer than k", so
the file has the same rows every week and never the hidden number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from bot.digest.model import Digest

__all__ = ["HEADER", "to_csv"]

HEADER = (
    "municipality",
    "week",
    "section",
    "dialogue",
    "question",
    "item",
    "value",
    "unit",
    "note",
)


def _value(value: float | None, percent: bool, k: int) -> tuple[str, str, str]:
    if value is None:
        return "", "percent" if percent else "count", f"fewer than {k}"
    if percent:
        return f"{value * 100:.1f}", "percent", ""
    return str(int(value)), "count", ""


def rows(digest: Digest) -> Iterable[tuple[str, ...]]:
    m, k = digest.municipality, digest.k
    for trend in digest.headline:
        for week, value in zip(trend.weeks, trend.values, strict=True):
            yield (m, week, "headline", "", "", trend.key, *_value(value, trend.percent, k))
    for d in digest.dialogues:
        for trend in (d.participants, d.completion):
            for week, value in zip(trend.weeks, trend.values, strict=True):
                yield (m, week, trend.key, d.id, "", "", *_value(value, trend.percent, k))
        for q in d.questions:
            yield (
                m,
                digest.week,
                "respondents",
                d.id,
                q.step_id,
                "",
                *_value(q.respondents, False, k),
            )
            for row in q.rows:
                yield (
                    m,
                    digest.week,
                    "answer",
                    d.id,
                    q.step_id,
                    row.label,
                    *_value(row.count, False, k),
                )
        for theme, n in d.themes:
            yield (m, digest.week, "theme", d.id, "", theme, str(n), "count", "")
    for theme, n in digest.topic_themes:
        yield (m, digest.week, "topic_theme", "", "", theme, str(n), "count", "")
    for f in digest.feedback:
        yield (
            m,
            digest.week,
            "feedback_reached",
            "",
            "",
            f"{f.target} ({f.status})",
            *_value(f.reached, False, k),
        )


def to_csv(digests: Iterable[Digest]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for digest in digests:
        writer.writerows(rows(digest))
    return buffer.getvalue()
