"""The B1 texts the runtime sends after a safety signal, in Dutch and English.

Kept as data next to the screen that triggers them so the helpline numbers are reviewed in
one place. Warm and short on purpose: someone in crisis reads two lines, not a leaflet; someone
who swears gets a calm answer without a lecture.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.types import CrisisKind

__all__ = ["ABUSE_REPLY", "CRISIS_REPLY", "PAUSE_NOTICE", "LocalisedText", "crisis_reply"]


@dataclass(frozen=True, slots=True)
class LocalisedText:
    """One text in every language the bot speaks; Dutch is the fallback."""

    nl: str
    en: str

    def in_language(self, language: str) -> str:
        """The text for an ISO 639-1 code; Dutch for any language without a translation."""
        return self.en if language.lower().startswith("en") else self.nl


CRISIS_REPLY = LocalisedText(
    nl=(
        "Fijn dat je dit vertelt. Je hoeft dit niet alleen te dragen.\n"
        "Praat er nu over met iemand die kan helpen:\n"
        "- 113 Zelfmoordpreventie: bel gratis 0800-0113 of chat op 113.nl\n"
        "- De Kindertelefoon: bel 0800-0432. Gratis en anoniem, als je jonger bent dan 18.\n"
        "Ben je nu in gevaar? Bel dan meteen 112.\n"
        "Ik laat iemand van ons team weten dat er hulp nodig is. Je naam geef ik niet door."
    ),
    en=(
        "Thank you for telling me. You don't have to carry this alone.\n"
        "Talk to someone who can help, now:\n"
        "- 113 Suicide Prevention: call 0800-0113 for free or chat at 113.nl\n"
        "- De Kindertelefoon: call 0800-0432. Free and anonymous, if you are under 18.\n"
        "Are you in danger right now? Call 112 straight away.\n"
        "I will let someone from our team know that help is needed. I will not pass on your name."
    ),
)

#: Added for abuse at home: Veilig Thuis is the national advice line for violence at home.
_HOME_LINE = LocalisedText(
    nl="- Veilig Thuis: bel gratis 0800-2000, dag en nacht.",
    en="- Veilig Thuis (safe at home): call 0800-2000 for free, day and night.",
)

ABUSE_REPLY = LocalisedText(
    nl="Ik merk dat je boos bent. Dat mag. Ik luister graag, maar zonder schelden. Gaan we verder?",
    en="I can tell you're angry, and that's okay. I'm happy to listen, without the insults. Go on?",
)

#: ``{minutes}`` is filled in by the runtime from the pause decision.
PAUSE_NOTICE = LocalisedText(
    nl="We nemen even pauze. Over {minutes} minuten kun je weer met me praten.",
    en="Let's take a short break. You can talk to me again in {minutes} minutes.",
)


def crisis_reply(language: str, kind: CrisisKind) -> str:
    """The crisis reply for ``language``; for abuse at home it also names Veilig Thuis."""
    text = CRISIS_REPLY.in_language(language)
    if kind is not CrisisKind.ABUSE_AT_HOME:
        return text
    lines = text.split("\n")
    lines.insert(4, _HOME_LINE.in_language(language))
    return "\n".join(lines)
