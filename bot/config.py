"""Configuration from ``PRAATMEE_*`` environment variables and an optional ``.env``.

A wrong value stops start-up with one line that names the variable and never
echoes a secret, e.g. ``Config 'PRAATMEE_PORT' has value 'abc': not a valid integer``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

__all__ = ["DEFAULT_DIALOGUES", "Settings", "load_settings"]

DEFAULT_DIALOGUES = Path(__file__).resolve().parent.parent / "dialogues"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_SECRET_FIELDS = {"pseudonym_key", "pseudonym_key_previous", "sealing_keys", "telegram_token",
                  "telegram_secret", "whatsapp_access_token", "whatsapp_app_secret",
                  "whatsapp_verify_token", "whatsapp_numbers", "rasa_token", "smtp_password"}


class Settings(BaseSettings):
    """Every setting; ``.env.example`` lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_prefix="PRAATMEE_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # service
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = Path("var")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    dialogues: Path = DEFAULT_DIALOGUES

    # stores
    database_url: str | None = None
    state_store: Literal["auto", "sqlite", "memory", "redis"] = "auto"
    redis_url: str | None = None
    redis_prefix: str = "praatmee:"

    # tenancy
    region: str = "ijmond"
    municipalities: dict[str, str] = Field(
        default_factory=lambda: {"beverwijk": "Beverwijk", "heemskerk": "Heemskerk", "velsen": "Velsen"}
    )

    # privacy keys (generated under data_dir/keys when not set)
    pseudonym_key: SecretStr | None = None
    pseudonym_key_previous: SecretStr | None = None
    sealing_keys: SecretStr | None = None

    # understanding
    nlu_backend: Literal["keywords", "embedded", "rasa"] = "embedded"
    rasa_url: str | None = None
    rasa_token: SecretStr | None = None
    command_confidence: float = Field(0.8, ge=0.0, le=1.0)
    #: Where the embedded NLU keeps its trained model (default: data_dir/nlu-cache).
    nlu_cache_dir: Path | None = None

    # telegram
    telegram_token: SecretStr | None = None
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_webhook_url: str | None = None
    telegram_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str | None = None

    # whatsapp
    whatsapp_phone_number_id: str | None = None
    whatsapp_access_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base_url: str = "https://graph.facebook.com/v25.0"
    whatsapp_municipality: str | None = None
    whatsapp_numbers: SecretStr | None = None
    whatsapp_throughput: float = Field(80.0, gt=0, le=1000)
    whatsapp_templates: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("municipalities")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("at least one municipality is needed")
        for code, name in value.items():
            if not _SLUG.match(code) or not name.strip():
                raise ValueError(f"code {code!r} must be lower-case letters/digits/-/_ with a name")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'praatmee.sqlite'}"

    @property
    def resolved_state_store(self) -> str:
        if self.state_store == "auto":
            return "redis" if self.redis_url else "sqlite"
        if self.state_store == "redis" and not self.redis_url:
            raise ConfigError("PRAATMEE_STATE_STORE is redis but PRAATMEE_REDIS_URL is not set")
        return self.state_store


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        variable = "PRAATMEE_" + name.upper()
        value = first.get("input")
        shown = "(hidden)" if name in _SECRET_FIELDS else json.dumps(value, default=str)[:60]
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"Config '{variable}' has value {shown}: {message}") from None
