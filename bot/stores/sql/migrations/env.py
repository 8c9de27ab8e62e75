"""Alembic environment. The service runs migrations itself at start-up, handing
its own connection in ``config.attributes["connection"]``; ``alembic`` on the
command line (see alembic.ini) opens the database the same way the service does."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from bot.stores.sql.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_database(url: str) -> None:
    from bot.stores.sql.database import Database

    db = await Database.open(url, migrate=False)
    try:
        await db.run(_run)
    finally:
        await db.close()


def _url() -> str:
    """``alembic -x url=...`` or alembic.ini's ``sqlalchemy.url``."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: give the database as -x url=... (postgresql:// or sqlite:///)")
    return url


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        asyncio.run(_run_on_database(_url()))
