"""WhatsApp settings and the reply address format."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.errors import BadRequest, ConfigError

__all__ = ["DEFAULT_API_BASE_URL", "Address", "WhatsAppNumber", "WhatsAppSettings"]

#: Pinned Graph API version: a new version is adopted on purpose, with its changelog read.
DEFAULT_API_BASE_URL = "https://graph.facebook.com/v25.0"


@dataclass(frozen=True, slots=True)
class WhatsAppNumber:
    """One business phone number; each municipality has its own."""

    phone_number_id: str
    municipality: str
    access_token: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.phone_number_id.isdigit():
            raise ConfigError(
                f"PRAATMEE_WHATSAPP_NUMBERS: phone_number_id must be digits, "
                f"got {self.phone_number_id!r}"
            )
        if not self.access_token:
            raise ConfigError(
                f"PRAATMEE_WHATSAPP_NUMBERS: no access_token for {self.phone_number_id}"
            )


@dataclass(frozen=True, slots=True)
class WhatsAppSettings:
    """Everything the WhatsApp channel needs; secrets never appear in ``repr``."""

    numbers: tuple[WhatsAppNumber, ...]
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    #: Business-number throughput (Meta's default tier is 80 messages/s).
    overall_per_second: float = 80.0
    #: Mark each inbound message read and show "typing…" (best effort).
    mark_read: bool = False
    #: Label of the button that opens a list message (at most 20 characters).
    list_button: str = "Kies"
    #: Appended to a numbered-text question (more than 10 options).
    number_hint: str = "Stuur het nummer van je antwoord."
    #: Appended to a multiple-choice question.
    multi_hint: str = "Stuur de nummers van je antwoorden, bijvoorbeeld: 1, 3"
    #: Timeout of one Graph API call, in seconds.
    request_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.numbers:
            raise ConfigError("PRAATMEE_WHATSAPP_NUMBERS: at least one number is needed")
        ids = [n.phone_number_id for n in self.numbers]
        if len(ids) != len(set(ids)):
            raise ConfigError("PRAATMEE_WHATSAPP_NUMBERS: a phone_number_id appears twice")
        if not self.app_secret:
            raise ConfigError("PRAATMEE_WHATSAPP_APP_SECRET is not set")
        if not self.verify_token:
            raise ConfigError("PRAATMEE_WHATSAPP_VERIFY_TOKEN is not set")
        if not self.api_base_url.startswith(("https://", "http://")):
            raise ConfigError("PRAATMEE_WHATSAPP_API_BASE_URL must be an http(s) URL")
        if not 1 <= len(self.list_button) <= 20:
            raise ConfigError("PRAATMEE_WHATSAPP_LIST_BUTTON must be 1-20 characters")
        if self.overall_per_second <= 0:
            raise ConfigError("PRAATMEE_WHATSAPP_THROUGHPUT must be positive")

    def number(self, phone_number_id: str) -> WhatsAppNumber | None:
        for number in self.numbers:
            if number.phone_number_id == phone_number_id:
                return number
        return None


@dataclass(frozen=True, slots=True)
class Address:
    """Where a reply goes: ``"<phone_number_id>:<BSUID or wa_id>"``.

    The business number is part of the address because each municipality has
    its own number, and a reply must come from the number the person wrote to.
    A phone number (digits only) is sent as ``to``; a business-scoped user id
    (e.g. ``NL.13491208655302741918``) as ``recipient``.
    """

    phone_number_id: str
    user: str

    @property
    def is_bsuid(self) -> bool:
        return not self.user.isdigit()

    def __str__(self) -> str:
        return self.join(self.phone_number_id, self.user)

    @staticmethod
    def join(phone_number_id: str, user: str) -> str:
        """The address as text, without making an Address (the webhook's hot path)."""
        return f"{phone_number_id}:{user}"

    @classmethod
    def parse(cls, address: str) -> Address:
        number, sep, user = address.partition(":")
        if not sep or not number.isdigit() or not user:
            raise BadRequest("WhatsApp address must look like '<phone_number_id>:<user>'")
        return cls(number, user)
