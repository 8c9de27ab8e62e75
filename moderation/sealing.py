"""Sealing channel addresses (chat ids, phone numbers): encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with MultiFernet, so
keys can rotate: the first key seals, every listed key can open.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["AddressSealer", "SealError"]


class SealError(ValueError):
    """A sealed address could not be opened with any configured key."""


class AddressSealer:
    __slots__ = ("_fernet",)

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one sealing key is needed")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()

    def seal(self, address: str) -> str:
        return self._fernet.encrypt(address.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise SealError("sealed address cannot be opened with the configured keys") from exc

    def reseal(self, sealed: str) -> str:
        """Re-encrypt under the first key (after a rotation)."""
        return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
