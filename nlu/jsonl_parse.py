"""``praatmee nlu parse``: JSON lines in, one JSON line out per input line, in order.

Input ``{"id": ..., "text": "..."}``; output ``{"id", "lang", "intent", "confidence",
"themes"}``. A bad line gives ``{"id": ..., "error": "..."}`` (id null when unknown) and
the stream goes on. Output never echoes the text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from nlu.types import NluBackend

__all__ = ["parse_lines"]


def _error(line_id: Any, message: str) -> str:
    return json.dumps({"id": line_id, "error": message}, ensure_ascii=False)


async def parse_lines(lines: Iterable[str], backend: NluBackend) -> AsyncIterator[str]:
    """Yield one JSON line per non-blank input line, in input order."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _error(None, f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(item, dict):
            yield _error(None, f"line {number}: expected an object")
            continue
        line_id = item.get("id")
        text = item.get("text")
        if not isinstance(text, str):
            yield _error(line_id, f"line {number}: 'text' must be a string")
            continue
        try:
            result = await backend.parse(text)
        except Exception as exc:  # noqa: BLE001 - one failing line must not end the stream
            yield _error(line_id, f"line {number}: {type(exc).__name__}: {exc}")
            continue
        yield json.dumps({"id": line_id, "lang": result.lang, "intent": result.intent,
                          "confidence": result.confidence, "themes": list(result.themes)},
                         ensure_ascii=False)
