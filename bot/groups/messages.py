"""The messages a member gets: a prompt with one-tap answers and a one-tap way out.

Button ids: ``pp.<prompt>.<n>`` answers option n (``.o`` opens a typed answer),
``gl.<group>`` leaves the group. They never carry text, only ids (at most 32
ASCII characters, see :class:`bot.messages.Choice`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.groups.model import Group, Prompt
from bot.groups.texts import t
from bot.messages import Choice, Expect, OutboundMessage

__all__ = ["ANSWER", "LEAVE", "Pressed", "joined_message", "leave_menu", "parse_press", "prompt_message"]

ANSWER = "pp"
LEAVE = "gl"
OPEN = "o"
#: The WhatsApp template purpose used outside the 24-hour window.
TEMPLATE = "prompt"


@dataclass(frozen=True, slots=True)
class Pressed:
    kind: str  # ANSWER or LEAVE
    target: str  # prompt id or group id
    option: str = ""  # option index, or OPEN


def parse_press(choice_id: str) -> Pressed | None:
    parts = choice_id.split(".")
    if len(parts) == 3 and parts[0] == ANSWER and (parts[2].isdigit() or parts[2] == OPEN):
        return Pressed(ANSWER, parts[1], parts[2])
    if len(parts) == 2 and parts[0] == LEAVE and parts[1]:
        return Pressed(LEAVE, parts[1])
    return None


def leave_choice(group: Group, lang: str) -> Choice:
    return Choice(f"{LEAVE}.{group.group_id}", t("leave_button", lang))


def prompt_message(prompt: Prompt, group: Group, lang: str) -> OutboundMessage:
    text = t("prompt", lang, name=group.name, question=prompt.question)
    if prompt.is_open:
        text += "\n\n" + t("prompt_open_hint", lang)
        choices = [Choice(f"{ANSWER}.{prompt.prompt_id}.{OPEN}", t("answer_button", lang))]
    else:
        choices = [Choice(f"{ANSWER}.{prompt.prompt_id}.{i}", label) for i, label in enumerate(prompt.options)]
    choices.append(leave_choice(group, lang))
    return OutboundMessage(text, tuple(choices), Expect.CHOICE, bulk=True, template=TEMPLATE,
                           template_params=(group.name,), lang=lang)


def joined_message(group: Group, lang: str, *, new: bool) -> OutboundMessage:
    """Plain text, so it joins the welcome in one bubble; every prompt carries the leave button."""
    return OutboundMessage(t("joined" if new else "already_member", lang, name=group.name), lang=lang)


def leave_menu(groups: list[Group], lang: str) -> OutboundMessage:
    """``/verlaten``: one button per group the member is in."""
    choices = tuple(Choice(f"{LEAVE}.{g.group_id}", f"{t('leave_button', lang)}: {g.name}"[:60]) for g in groups)
    return OutboundMessage(t("leave_which", lang), choices, Expect.CHOICE, lang=lang)
