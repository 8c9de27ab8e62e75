"""Dialogue spec versions. A file made for a newer Praatmee is refused; an older
one is brought up to date by one documented function per version, in order.

Version 1 is the first spec, so no migration is registered yet. A version bump
adds ``MIGRATIONS[n] = migrate_n_to_n_plus_1`` with a docstring saying why and
an ``{original, migrated}`` test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.dialogue.model import CURRENT_SPEC_VERSION

__all__ = ["MIGRATIONS", "MigrationError", "migrate"]

Migration = Callable[[dict[str, Any]], dict[str, Any]]

#: from-version → function returning the document at from-version + 1.
MIGRATIONS: dict[int, Migration] = {}


class MigrationError(ValueError):
    """The document's version cannot be brought to the current one."""


def migrate(document: dict[str, Any], migrations: dict[int, Migration] | None = None) -> dict[str, Any]:
    """Return ``document`` at :data:`CURRENT_SPEC_VERSION`, or raise MigrationError."""
    steps = MIGRATIONS if migrations is None else migrations
    version = document.get("spec_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MigrationError("spec_version must be a whole number of 1 or more")
    if version > CURRENT_SPEC_VERSION:
        raise MigrationError(
            f"spec_version {version} is newer than this Praatmee understands "
            f"({CURRENT_SPEC_VERSION}); update Praatmee"
        )
    while version < CURRENT_SPEC_VERSION:
        if version not in steps:
            raise MigrationError(f"no migration from spec_version {version}")
        document = steps[version](document)
        version += 1
        document["spec_version"] = version
    return document
