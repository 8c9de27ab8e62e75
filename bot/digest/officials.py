"""Officials' digest subscriptions: who gets which municipalities, when, in which language.

An official's e-mail address is not participant data, but it is personal data
all the same: it is stored only here, shown only by ``praatmee officials list``,
and log lines name the official by id, never by address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from bot.stores.sql._dialect import upsert
from bot.stores.sql.database import Database
from bot.stores.sql.tables import officials

__all__ = ["OfficialStore", "Subscription", "SubscriptionError"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
LANGS = ("nl", "en")


class SubscriptionError(ValueError):
    """A subscription that may not be stored (one line, says which field)."""


@dataclass(frozen=True, slots=True)
class Subscription:
    official_id: str
    name: str
    email: str
    #: Municipalities this official is allowed to see (set by an administrator).
    may_see: tuple[str, ...]
    #: Municipalities the digest covers: a subset of ``may_see``.
    municipalities: tuple[str, ...]
    domains: tuple[str, ...] = ()  # empty: all domains
    themes: tuple[str, ...] = ()  # empty: all themes
    lang: str = "nl"
    weekday: int = 1  # ISO, 1 = Monday
    hour: int = 9  # Europe/Amsterdam
    active: bool = True

    def check(self, known_municipalities: Collection[str]) -> None:
        """Raise :class:`SubscriptionError` for anything the digest could not honour."""
        if not _ID.match(self.official_id):
            raise SubscriptionError(
                "--id must be lower-case letters, digits, '.', '-' or '_' (max 32)"
            )
        if not self.name.strip() or len(self.name) > 100:
            raise SubscriptionError("--name must be 1 to 100 characters")
        if not _EMAIL.match(self.email) or len(self.email) > 254:
            raise SubscriptionError("--email is not an e-mail address")
        unknown = sorted(set(self.may_see) - set(known_municipalities))
        if unknown:
            raise SubscriptionError(f"--may-see names unknown municipalities: {', '.join(unknown)}")
        if not self.municipalities:
            raise SubscriptionError("--municipalities must name at least one municipality")
        outside = sorted(set(self.municipalities) - set(self.may_see))
        if outside:
            raise SubscriptionError(
                f"--municipalities goes beyond what this official may see: {', '.join(outside)}"
            )
        if self.lang not in LANGS:
            raise SubscriptionError("--lang must be nl or en")
        if not 1 <= self.weekday <= 7:
            raise SubscriptionError("--day must be 1 (Monday) to 7 (Sunday)")
        if not 0 <= self.hour <= 23:
            raise SubscriptionError("--hour must be 0 to 23")


class OfficialStore:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(
        self, sub: Subscription, known_municipalities: Collection[str], at: datetime
    ) -> None:
        """Add or replace a subscription after :meth:`Subscription.check`."""
        sub.check(known_municipalities)
        values = {
            "official_id": sub.official_id,
            "name": sub.name.strip(),
            "email": sub.email.strip(),
            "may_see": json.dumps(sorted(set(sub.may_see))),
            "municipalities": json.dumps(sorted(set(sub.municipalities))),
            "domains": json.dumps(sorted(set(sub.domains))),
            "themes": json.dumps(sorted(set(sub.themes))),
            "lang": sub.lang,
            "weekday": sub.weekday,
            "hour": sub.hour,
            "active": sub.active,
            "created_at": at,
            "updated_at": at,
        }
        columns = tuple(c for c in values if c not in ("official_id", "created_at"))
        stmt = upsert(self._db.dialect, officials, "official_id", columns)

        def work(conn: Connection) -> None:
            conn.execute(stmt, values)

        await self._db.run(work)

    async def get(self, official_id: str) -> Subscription | None:
        stmt = select(officials).where(officials.c.official_id == official_id)

        def work(conn: Connection) -> Row[Any] | None:
            return conn.execute(stmt).first()

        row = await self._db.run(work)
        return None if row is None else _subscription(row)

    async def all(self, *, active_only: bool = False) -> list[Subscription]:
        stmt = select(officials).order_by(officials.c.official_id)
        if active_only:
            stmt = stmt.where(officials.c.active.is_(True))

        def work(conn: Connection) -> Sequence[Row[Any]]:
            return conn.execute(stmt).all()

        return [_subscription(r) for r in await self._db.run(work)]

    async def remove(self, official_id: str) -> bool:
        stmt = delete(officials).where(officials.c.official_id == official_id)

        def work(conn: Connection) -> bool:
            return bool(conn.execute(stmt).rowcount)

        return await self._db.run(work)

    async def set_active(self, official_id: str, active: bool, at: datetime) -> bool:
        stmt = (
            update(officials)
            .where(officials.c.official_id == official_id)
            .values(active=active, updated_at=at)
        )

        def work(conn: Connection) -> bool:
            return bool(conn.execute(stmt).rowcount)

        return await self._db.run(work)


def _subscription(row: object) -> Subscription:
    r = row._mapping  # type: ignore[attr-defined]
    return Subscription(
        official_id=r["official_id"],
        name=r["name"],
        email=r["email"],
        may_see=tuple(json.loads(r["may_see"])),
        municipalities=tuple(json.loads(r["municipalities"])),
        domains=tuple(json.loads(r["domains"])),
        themes=tuple(json.loads(r["themes"])),
        lang=r["lang"],
        weekday=r["weekday"],
        hour=r["hour"],
        active=bool(r["active"]),
    )
