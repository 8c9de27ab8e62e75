"""SQL stores on SQLAlchemy 2 (async): SQLite by default, PostgreSQL in production."""

from bot.stores.sql.addresses import AddressBook
from bot.stores.sql.database import Database, normalise_url
from bot.stores.sql.inbox import Inbox, InboxItem, InboxRow
from bot.stores.sql.insights import AnswerRecord, InsightStore, Participant, iso_week
from bot.stores.sql.outbox import BULK, CONVERSATIONAL, Outbox, OutboxItem, OutboxRow

__all__ = [
    "BULK",
    "CONVERSATIONAL",
    "AddressBook",
    "AnswerRecord",
    "Database",
    "Inbox",
    "InboxItem",
    "InboxRow",
    "InsightStore",
    "Outbox",
    "OutboxItem",
    "OutboxRow",
    "Participant",
    "iso_week",
    "normalise_url",
]
