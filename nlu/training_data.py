"""Reading the NLU training data: Rasa 3 intent YAML and Praatmee's theme YAML.

Layout under a data directory (see ``nlu/data``):

- ``intents/*.yml``: Rasa 3 NLU files (``version: "3.1"``, ``nlu: [{intent, examples}]``);
  ``rasa train`` and the embedded backend read exactly these files;
- ``themes.yml``: ``themes: {theme: [text...]}`` (one theme each) and
  ``multi: [{text, themes: [...]}]`` (several themes);
- ``test/``: the held-out split with the same two formats; no training run reads it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.types import INTENTS, THEMES

__all__ = ["DataError", "TrainingData", "content_hash", "load_intents", "load_themes"]


class DataError(ValueError):
    """Training data that does not follow the documented format; names file and field."""


@dataclass(frozen=True, slots=True)
class TrainingData:
    """Intent examples ``(text, intent)`` and theme examples ``(text, themes)``."""

    intents: tuple[tuple[str, str], ...]
    themes: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def load(cls, data_dir: Path) -> TrainingData:
        """Read ``intents/*.yml`` and ``themes.yml`` below ``data_dir`` (never ``test/``)."""
        return cls(load_intents(data_dir / "intents"), load_themes(data_dir / "themes.yml"))


def _yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(doc, dict):
        raise DataError(f"{path}: expected a mapping at the top")
    return doc


def _examples(block: str, where: str) -> list[str]:
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    bad = [line for line in lines if not line.startswith("- ")]
    if bad:
        raise DataError(f"{where}: example lines must start with '- ', got {bad[0]!r}")
    return [line[2:].strip() for line in lines]


def load_intents(path: Path) -> tuple[tuple[str, str], ...]:
    """Examples from one Rasa NLU file or every ``*.yml`` in a directory, sorted by file."""
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
    out: list[tuple[str, str]] = []
    for file in files:
        for i, item in enumerate(_yaml(file).get("nlu") or []):
            where = f"{file}: nlu[{i}]"
            intent = item.get("intent") if isinstance(item, dict) else None
            if intent not in INTENTS:
                raise DataError(f"{where}: unknown intent {intent!r}")
            out.extend((text, intent) for text in _examples(item.get("examples", ""), where))
    if not out:
        raise DataError(f"{path}: no intent examples")
    return tuple(out)


def load_themes(path: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Theme examples from a themes file (format above)."""
    doc = _yaml(path)
    out: list[tuple[str, tuple[str, ...]]] = []
    for theme, texts in (doc.get("themes") or {}).items():
        if theme not in THEMES:
            raise DataError(f"{path}: themes.{theme}: unknown theme")
        out.extend((str(text), (theme,)) for text in texts)
    for i, item in enumerate(doc.get("multi") or []):
        labels = tuple(item.get("themes") or ())
        unknown = [t for t in labels if t not in THEMES]
        if unknown or not labels or not item.get("text"):
            raise DataError(f"{path}: multi[{i}]: needs text and known themes, got {item!r}")
        out.append((str(item["text"]), labels))
    return tuple(out)


def content_hash(data: TrainingData, salt: str = "") -> str:
    """Stable hash of the examples (not of file layout or comments), for model caching."""
    digest = hashlib.sha256(salt.encode())
    for text, intent in data.intents:
        digest.update(f"i\x1f{intent}\x1f{text}\x1e".encode())
    for text, themes in data.themes:
        digest.update(f"t\x1f{','.join(themes)}\x1f{text}\x1e".encode())
    return digest.hexdigest()[:32]
