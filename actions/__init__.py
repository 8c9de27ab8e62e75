"""The named side effects dialogue steps invoke, one small module each."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from actions.base import Action, ActionContext, InsightWriter
from actions.end_dialogue import EndDialogue
from actions.offer_next_dialogue import OfferNextDialogue
from actions.store_answer import StoreAnswer

__all__ = ["Action", "ActionContext", "InsightWriter", "default_actions"]


def default_actions() -> Mapping[str, Action]:
    """Every action by name; dialogue files may name only these."""
    actions: list[Action] = [StoreAnswer(), EndDialogue(), OfferNextDialogue()]
    return MappingProxyType({a.name: a for a in actions})
