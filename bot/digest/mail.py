"""The digest as an e-mail (HTML with inline charts, plain text, CSV attached) over SMTP.

aiosmtplib because the service is asyncio end to end and it speaks implicit
TLS and STARTTLS with certificate checks. Settings come from ``PRAATMEE_SMTP_*``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Literal

import aiosmtplib
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.digest.render import Rendered

__all__ = ["MailError", "Mailer", "SmtpSettings", "compose"]


class SmtpSettings(BaseSettings):
    """``PRAATMEE_SMTP_*``: where digests are sent from and through."""

    model_config = SettingsConfigDict(
        env_prefix="PRAATMEE_SMTP_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    host: str = "localhost"
    port: int = 587
    #: "starttls" (port 587), "tls" (implicit, port 465) or "none" (a local relay only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "praatmee@localhost"
    sender_name: str = "Praatmee"
    #: A CA bundle for a relay with a private certificate authority.
    ca_file: str | None = None
    timeout: float = 30.0

    @property
    def configured(self) -> bool:
        """True when ``PRAATMEE_SMTP_HOST`` was set: only then does the service send digests."""
        return "host" in self.model_fields_set


class MailError(Exception):
    """The message was not accepted; ``temporary`` says whether trying later may help."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True, slots=True)
class Envelope:
    message: EmailMessage
    message_id: str


def compose(
    rendered: Rendered, to: str, settings: SmtpSettings, *, idempotency_key: str
) -> Envelope:
    """multipart/mixed: (alternative: text, related: html + PNGs) + digest.csv."""
    domain = settings.sender.rsplit("@", 1)[-1] or "praatmee"
    message_id = make_msgid(idstring=idempotency_key[:24], domain=domain)
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = formataddr((settings.sender_name, settings.sender))
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    msg["X-Praatmee-Digest"] = idempotency_key
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    html_part = msg.get_payload()[1]  # type: ignore[index]
    assert isinstance(html_part, EmailMessage)
    for cid, png in rendered.images.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    msg.add_attachment(
        rendered.csv.encode("utf-8"), maintype="text", subtype="csv", filename="digest.csv"
    )
    return Envelope(msg, message_id)


class Mailer:
    """Sends one message; maps SMTP and network errors to :class:`MailError`."""

    __slots__ = ("_settings",)

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, envelope: Envelope) -> None:
        s = self._settings
        context = ssl.create_default_context(cafile=s.ca_file) if s.security != "none" else None
        try:
            await aiosmtplib.send(
                envelope.message,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password.get_secret_value() if s.password else None,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                tls_context=context,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise MailError(
                f"SMTP {exc.code}: {exc.message[:120]}", temporary=400 <= exc.code < 500
            ) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise MailError("the recipient address was refused", temporary=False) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"{type(exc).__name__}: {str(exc)[:120]}", temporary=True) from exc
