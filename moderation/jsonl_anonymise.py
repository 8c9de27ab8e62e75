"""JSON-lines in, anonymised JSON-lines out: the engine behind ``praatmee anonymise``.

Each input line ``{"id": ..., "text": ...}`` yields exactly one output line, in order. A line
that cannot be read yields ``{"id": <id or null>, "error": "..."}`` and the stream goes on, so
one bad record never loses the rest. Error messages never echo the text itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from moderation.anonymise import Anonymiser

__all__ = ["anonymise_lines"]


def _error(record_id: Any, message: str) -> str:
    return json.dumps({"id": record_id, "error": message}, ensure_ascii=False)


def _one(line: str, anonymiser: Anonymiser) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return _error(None, f"invalid JSON at column {exc.colno}: {exc.msg}")
    if not isinstance(record, dict):
        return _error(None, f"expected a JSON object, got {type(record).__name__}")
    record_id = record.get("id")
    if "text" not in record:
        return _error(record_id, "missing field 'text'")
    text = record["text"]
    if not isinstance(text, str):
        return _error(record_id, f"field 'text' must be a string, got {type(text).__name__}")
    redaction = anonymiser.anonymise(text)
    spans = [{"start": s.start, "end": s.end, "type": s.type} for s in redaction.spans]
    return json.dumps({"id": record_id, "text": redaction.text, "spans": spans}, ensure_ascii=False)


def anonymise_lines(lines: Iterable[str], anonymiser: Anonymiser) -> Iterator[str]:
    """One output JSON line (no newline) per non-blank input line; offsets index the original text."""
    for line in lines:
        if line.strip():
            yield _one(line, anonymiser)
