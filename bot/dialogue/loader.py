"""Read a dialogue file: YAML → version check → JSON Schema → typed model → checks.

Every problem is reported with the file and line it comes from. A dialogue with
any error is refused as a whole, so the service never runs half a dialogue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.dialogue.inspect import Finding, inspect_dialogue
from bot.dialogue.migrations import MigrationError, migrate
from bot.dialogue.model import Branch, Dialogue, Option, Step, StepType, Text
from bot.dialogue.yaml_lines import Located, load_with_lines
from bot.errors import DialogueError

__all__ = ["LoadResult", "load_dialogue", "parse_dialogue"]

MAX_FILE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class LoadResult:
    dialogue: Dialogue
    warnings: tuple[Finding, ...]


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("bot.dialogue").joinpath("schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def load_dialogue(path: Path, *, known_actions: frozenset[str] | None = None) -> LoadResult:
    """Load and check one file. Raises :class:`DialogueError` (file, line, message)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DialogueError(str(path), None, f"cannot read: {exc.strerror}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise DialogueError(str(path), None, f"file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DialogueError(str(path), None, "file is not UTF-8 text") from exc
    return parse_dialogue(text, str(path), known_actions=known_actions)


def parse_dialogue(
    text: str, path: str = "<text>", *, known_actions: frozenset[str] | None = None
) -> LoadResult:
    """Parse dialogue YAML given as text; ``path`` is only used in messages."""
    try:
        located = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DialogueError(path, line, f"not valid YAML: {problem}") from exc
    if not isinstance(located.data, dict):
        raise DialogueError(path, 1, "a dialogue file must be a mapping with id, title, steps...")
    try:
        document = migrate(located.data)
    except MigrationError as exc:
        raise DialogueError(path, located.line_of(("spec_version",)), str(exc)) from exc
    _check_schema(document, located, path)
    dialogue = _build(document, located, path)
    findings = inspect_dialogue(dialogue, known_actions=known_actions)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DialogueError(path, first.line, first.message + more)
    return LoadResult(dialogue, tuple(f for f in findings if f.level == "warning"))


def _check_schema(document: dict[str, Any], located: Located, path: str) -> None:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    best = jsonschema.exceptions.best_match(errors)
    where = tuple(best.absolute_path)
    field = ".".join(str(p) for p in where) or "(top)"
    raise DialogueError(path, located.line_of(where), f"{field}: {_short(best)}")


def _short(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    if error.validator == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern":
        return f"{error.instance!r} must be lower-case letters, digits, '-' or '_'"
    if error.validator in ("contains",) and error.absolute_path and error.absolute_path[-1] == "languages":
        return "languages must include nl"
    return error.message


def _text(value: dict[str, str] | None) -> Text | None:
    return Text(value) if value is not None else None


def _build(doc: dict[str, Any], located: Located, path: str) -> Dialogue:
    steps = []
    for i, raw in enumerate(doc["steps"]):
        when_values = []
        branches = []
        for b in raw.get("branches", ()):
            when = b.get("when", ())
            when_values = [when] if isinstance(when, str) else list(when)
            between = b.get("between")
            branches.append(
                Branch(
                    goto=b["goto"],
                    when=frozenset(str(w) for w in when_values),
                    between=(float(between[0]), float(between[1])) if between else None,
                    skipped=bool(b.get("skipped", False)),
                )
            )
        step_type = StepType(raw["type"])
        steps.append(
            Step(
                id=raw["id"],
                type=step_type,
                text=Text(raw["text"]),
                line=located.line_of(("steps", i)),
                optional=bool(raw.get("optional", False)),
                next=raw.get("next"),
                branches=tuple(branches),
                actions=tuple(raw.get("actions", _default_actions(step_type))),
                options=tuple(Option(o["id"], Text(o["label"])) for o in raw.get("options", ())),
                max_choices=raw.get("max_choices"),
                max_length=raw.get("max_length"),
                min=raw.get("min"),
                max=raw.get("max"),
                integer=bool(raw.get("integer", True)),
                low_label=_text(raw.get("low_label")),
                high_label=_text(raw.get("high_label")),
                decline_text=_text(raw.get("decline_text")),
            )
        )
    return Dialogue(
        spec_version=doc["spec_version"],
        id=doc["id"],
        title=Text(doc["title"]),
        goal=doc["goal"],
        audience=doc["audience"],
        domain=doc["domain"],
        municipalities=tuple(doc["municipalities"]),
        languages=tuple(doc["languages"]),
        steps=tuple(steps),
        description=_text(doc.get("description")),
        next_dialogue=doc.get("next_dialogue"),
        path=path,
    )


def _default_actions(step_type: StepType) -> tuple[str, ...]:
    if step_type is StepType.CLOSING:
        return ("end_dialogue",)
    if step_type in (StepType.MESSAGE, StepType.CONSENT):
        return ()
    return ("store_answer",)
