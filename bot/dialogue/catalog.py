"""All dialogues the service runs, loaded and cross-checked at start-up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.dialogue.inspect import Finding
from bot.dialogue.loader import load_dialogue
from bot.dialogue.model import Dialogue
from bot.errors import DialogueError

__all__ = ["Catalog"]


@dataclass(frozen=True, slots=True)
class Catalog:
    """Dialogues by id. Build with :meth:`load`; it refuses any invalid file."""

    dialogues: dict[str, Dialogue]
    warnings: tuple[tuple[str, Finding], ...] = ()

    @classmethod
    def load(
        cls,
        paths: Iterable[Path],
        *,
        municipalities: frozenset[str] | None = None,
        known_actions: frozenset[str] | None = None,
    ) -> Catalog:
        """Load every ``*.yml`` in the given files or folders.

        Raises :class:`DialogueError` for the first invalid file, a duplicate id,
        an unknown ``next_dialogue`` or a municipality that is not configured.
        """
        dialogues: dict[str, Dialogue] = {}
        warnings: list[tuple[str, Finding]] = []
        for path in _files(paths):
            result = load_dialogue(path, known_actions=known_actions)
            d = result.dialogue
            if d.id in dialogues:
                raise DialogueError(str(path), 1, f"dialogue id {d.id!r} is also used in {dialogues[d.id].path}")
            if municipalities is not None:
                unknown = sorted(set(d.municipalities) - municipalities)
                if unknown:
                    raise DialogueError(
                        str(path), 1, f"municipalities not configured: {', '.join(unknown)}"
                    )
            dialogues[d.id] = d
            warnings += [(str(path), w) for w in result.warnings]
        for d in dialogues.values():
            if d.next_dialogue and d.next_dialogue not in dialogues:
                raise DialogueError(d.path, 1, f"next_dialogue {d.next_dialogue!r} does not exist")
        return cls(dialogues, tuple(warnings))

    def get(self, dialogue_id: str) -> Dialogue | None:
        return self.dialogues.get(dialogue_id)

    def for_municipality(self, municipality: str | None) -> list[Dialogue]:
        """Dialogues that run in ``municipality`` (all when it is not known yet), by title."""
        found = [d for d in self.dialogues.values() if municipality is None or d.runs_in(municipality)]
        return sorted(found, key=lambda d: d.title.nl)

    def __iter__(self) -> Iterator[Dialogue]:
        return iter(self.dialogues.values())

    def __len__(self) -> int:
        return len(self.dialogues)


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml"))
        elif path.exists():
            yield path
        else:
            raise DialogueError(str(path), None, "no such file or folder")
