"""Where to reach a participant: the channel address, only ever stored sealed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from bot.stores.sql._dialect import upsert
from bot.stores.sql.database import Database
from bot.stores.sql.tables import addresses

__all__ = ["AddressBook"]

_GET = select(addresses.c.channel, addresses.c.address_enc).where(addresses.c.pseudonym == bindparam("p"))


class AddressBook:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, pseudonym: str, channel: str, sealed: str, at: datetime) -> None:
        values = {"pseudonym": pseudonym, "channel": channel, "address_enc": sealed, "updated_at": at}
        stmt = upsert(self._db.dialect, addresses, "pseudonym", ("channel", "address_enc", "updated_at"))
        await self._db.run(lambda conn: conn.execute(stmt, values))

    async def get(self, pseudonym: str) -> tuple[str, str] | None:
        """(channel, sealed address), or None."""

        def work(conn: Connection) -> tuple[str, str] | None:
            row = conn.execute(_GET, {"p": pseudonym}).first()
            return None if row is None else (row[0], row[1])

        return await self._db.run(work)
