"""Keys for pseudonyms and sealed addresses: from configuration, or generated once.

Without configuration a random key is generated on first start and kept under
``data_dir/keys`` with owner-only permissions (never a constant in the code).
Production sets ``PRAATMEE_PSEUDONYM_KEY`` and ``PRAATMEE_SEALING_KEYS``.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError
from moderation.pseudonyms import MIN_KEY_BYTES, Pseudonymiser
from moderation.sealing import AddressSealer

__all__ = ["load_pseudonymiser", "load_sealer"]


def _stored_key(path: Path, make: bytes) -> bytes:
    """The key in ``path``, creating it (mode 0600) with ``make`` when absent."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(make)
    return make


def _decode_key(raw: str, variable: str) -> bytes:
    data = raw.encode()
    if len(data) < MIN_KEY_BYTES:
        raise ConfigError(f"Config '{variable}' is too short: use at least {MIN_KEY_BYTES} characters")
    return data


def load_pseudonymiser(settings: Settings) -> Pseudonymiser:
    if settings.pseudonym_key is not None:
        key = _decode_key(settings.pseudonym_key.get_secret_value(), "PRAATMEE_PSEUDONYM_KEY")
    else:
        made = base64.urlsafe_b64encode(secrets.token_bytes(32))
        key = _stored_key(settings.data_dir / "keys" / "pseudonym.key", made)
    previous = None
    if settings.pseudonym_key_previous is not None:
        previous = _decode_key(
            settings.pseudonym_key_previous.get_secret_value(), "PRAATMEE_PSEUDONYM_KEY_PREVIOUS"
        )
    return Pseudonymiser(key, previous)


def load_sealer(settings: Settings) -> AddressSealer:
    if settings.sealing_keys is not None:
        keys = [k.strip().encode() for k in settings.sealing_keys.get_secret_value().split(",") if k.strip()]
    else:
        keys = [_stored_key(settings.data_dir / "keys" / "sealing.key", AddressSealer.new_key())]
    try:
        return AddressSealer(keys)
    except ValueError as exc:
        raise ConfigError(
            "Config 'PRAATMEE_SEALING_KEYS' must be comma-separated Fernet keys "
            "(make one with: praatmee keys new)"
        ) from exc
