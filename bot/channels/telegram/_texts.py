"""Fixed texts the Telegram adapter itself shows (B1 Dutch, with English commands)."""

from __future__ import annotations

from telegram import BotCommand

__all__ = ["COMMANDS", "PICK_FIRST", "STALE_BUTTON", "STALE_PAGES", "group_note"]

#: setMyCommands per language_code; "" is the default for every other language.
COMMANDS: dict[str, tuple[BotCommand, ...]] = {
    "nl": (
        BotCommand("start", "Begin met praten"),
        BotCommand("stop", "Stop met berichten krijgen"),
        BotCommand("help", "Hulp en uitleg"),
        BotCommand("privacy", "Wat we doen met je antwoorden"),
        BotCommand("vergeetmij", "Wis alles wat we van je hebben"),
        BotCommand("taal", "Kies je taal"),
    ),
    "en": (
        BotCommand("start", "Start talking"),
        BotCommand("stop", "Stop getting messages"),
        BotCommand("help", "Help"),
        BotCommand("privacy", "What we do with your answers"),
        BotCommand("vergeetmij", "Delete everything we have about you"),
        BotCommand("taal", "Choose your language"),
    ),
}
COMMANDS[""] = COMMANDS["nl"]

STALE_BUTTON = "Deze knop werkt niet meer."
STALE_PAGES = "Deze lijst werkt niet meer. Typ je antwoord maar."
PICK_FIRST = "Kies eerst minstens één antwoord."


def group_note(bot_username: str | None) -> str:
    """Praatmee listens one to one, so nobody's answers are seen by the group."""
    link = f" Stuur mij hier een bericht: https://t.me/{bot_username}" if bot_username else ""
    return ("Hoi! Ik praat alleen in een privé-chat. Zo ziet niemand anders jouw antwoorden."
            + link)
