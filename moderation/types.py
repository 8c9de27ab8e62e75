"""Value types shared by the moderation library (it imports nothing from ``bot``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CrisisKind", "PLACEHOLDERS", "Redaction", "ScreenResult", "Span"]

#: Typed placeholders written in place of personal data, Dutch first.
PLACEHOLDERS: dict[str, str] = {
    "PERSON": "[NAAM]",
    "PHONE": "[TELEFOON]",
    "EMAIL": "[E-MAIL]",
    "ADDRESS": "[ADRES]",
    "POSTCODE": "[POSTCODE]",
    "PLACE": "[PLAATS]",
    "BSN": "[BSN]",
    "IBAN": "[IBAN]",
    "DATE_OF_BIRTH": "[GEBOORTEDATUM]",
    "AGE": "[LEEFTIJD]",
    "SCHOOL_OR_INSTITUTION": "[INSTELLING]",
    "SOCIAL_HANDLE": "[ACCOUNT]",
    "URL": "[URL]",
    "LICENSE_PLATE": "[KENTEKEN]",
    "CASE_NUMBER": "[DOSSIERNUMMER]",
}


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A piece of personal data: ``text[start:end]`` of the original, end exclusive."""

    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class Redaction:
    """The anonymised text and the spans (offsets into the original) that were replaced."""

    text: str
    spans: tuple[Span, ...]


class CrisisKind(StrEnum):
    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    ABUSE_AT_HOME = "abuse_at_home"
    ACUTE_DANGER = "acute_danger"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """Safety screen of one message."""

    crisis: bool
    kind: CrisisKind
    abuse: bool
