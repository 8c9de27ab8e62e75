"""The bot's own questions outside dialogues: municipality, topic menu, language, confirmations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.conversation.questions import NO, YES
from bot.conversation.state import ConversationState
from bot.conversation.texts import LANGUAGE_NAMES, say
from bot.dialogue.catalog import Catalog
from bot.messages import Choice, Expect, OutboundMessage

__all__ = ["RAISE_TOPIC", "EngineContext", "confirm_question", "language_question",
           "menu_message", "municipality_question"]

RAISE_TOPIC = "_topic"


@dataclass(frozen=True, slots=True)
class EngineContext:
    """What the engine may know about the world: static, loaded at start-up."""

    catalog: Catalog
    #: municipality code → display name, in the configured region.
    municipalities: Mapping[str, str]
    #: Intent confidence at or above which a typed message counts as a command.
    command_confidence: float = 0.8
    #: Below this, a destructive command (stop) is confirmed first.
    destructive_confidence: float = 0.95


def municipality_question(ctx: EngineContext, lang: str) -> OutboundMessage:
    choices = tuple(Choice(code, name) for code, name in ctx.municipalities.items())
    return OutboundMessage(say("ask_municipality", lang), choices, Expect.CHOICE)


def menu_message(ctx: EngineContext, state: ConversationState) -> OutboundMessage:
    """Dialogues that run in the participant's municipality, new ones first, plus 'raise a topic'."""
    lang = state.lang
    dialogues = ctx.catalog.for_municipality(state.municipality)
    fresh = [d for d in dialogues if d.id not in state.completed]
    done = [d for d in dialogues if d.id in state.completed]
    choices = [Choice(d.id, d.title.get(lang)) for d in [*fresh, *done]][:9]
    choices.append(Choice(RAISE_TOPIC, say("raise_topic_option", lang)))
    text = say("menu", lang) if fresh else say("menu_empty", lang)
    return OutboundMessage(text, tuple(choices), Expect.CHOICE)


def language_question(lang: str) -> OutboundMessage:
    choices = tuple(Choice(code, name) for code, name in LANGUAGE_NAMES.items())
    return OutboundMessage(say("ask_language", lang), choices, Expect.CHOICE)


def confirm_question(key: str, lang: str) -> OutboundMessage:
    return OutboundMessage(
        say(key, lang), (Choice(YES, say("yes", lang)), Choice(NO, say("no", lang))), Expect.CHOICE
    )
