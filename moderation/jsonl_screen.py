"""Screen JSON lines (``{"id", "text"}``) in bulk; the function behind ``praatmee screen``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from moderation.screen import Screener

__all__ = ["screen_lines"]


def screen_lines(lines: Iterable[str], screener: Screener) -> Iterator[str]:
    """One JSON result line per non-blank input line, in input order.

    Out: ``{"id", "crisis", "kind", "abuse"}``. A line that is not a JSON object with a string
    ``text`` gives ``{"id": <id or null>, "error": "..."}`` and the rest goes on. Errors never
    repeat the text, which may hold personal data.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        yield json.dumps(_screen_one(line, number, screener), ensure_ascii=False)


def _screen_one(line: str, number: int, screener: Screener) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"line {number}: not valid JSON ({exc.msg})"}
    if not isinstance(record, dict):
        return {"id": None, "error": f"line {number}: expected a JSON object"}
    record_id = record.get("id")
    if not isinstance(record_id, (str, int)) or isinstance(record_id, bool):
        record_id = None
    text = record.get("text")
    if not isinstance(text, str):
        return {"id": record_id, "error": f"line {number}: 'text' must be a string"}
    result = screener.screen(text)
    return {
        "id": record_id,
        "crisis": result.crisis,
        "kind": result.kind.value,
        "abuse": result.abuse,
    }
