"""Sealing channel addresses and queued messages: encrypted at rest.

Every webhook message is sealed once on the way into the inbox and opened once
on the way out, so sealing sits on the acknowledgement path. AES-256-GCM (from
``cryptography``) costs a few microseconds where Fernet costs about 25, and
authenticates just as well.

Keys stay in Fernet's format (``praatmee keys new``, ``PRAATMEE_SEALING_KEYS``):
an operator's existing keys keep working. Each one is stretched with HKDF into
an AES-256 key and a short key id. The first key seals; every listed key can
open, so keys can rotate. Tokens sealed by earlier versions (Fernet, starting
``gAAAAA``) still open, with the same keys.

A sealed token is ``g1.`` followed by URL-safe base64 (no padding) of
``key id (4) | nonce (12) | ciphertext and tag``. The ``.`` never occurs in a
Fernet token, so the two cannot be confused.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["AddressSealer", "SealError"]

_PREFIX = "g1."
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_TAG_BYTES = 16
_AAD = b"praatmee sealed v1"


class SealError(ValueError):
    """A sealed value could not be opened with any configured key."""


def _derive(fernet_key: bytes, info: bytes, length: int) -> bytes:
    raw = base64.urlsafe_b64decode(fernet_key)
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(raw)


class AddressSealer:
    __slots__ = ("_fernet", "_gcm", "_seal_gcm", "_seal_id")

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one sealing key is needed")
        fernets = [Fernet(k) for k in keys]  # validates each key's format
        self._fernet = MultiFernet(fernets)
        self._gcm: dict[bytes, AESGCM] = {}
        for k in keys:
            key_id = _derive(k, b"praatmee sealing key id v1", _KEY_ID_BYTES)
            self._gcm.setdefault(key_id, AESGCM(_derive(k, b"praatmee sealing aes-256-gcm v1", 32)))
        self._seal_id = _derive(keys[0], b"praatmee sealing key id v1", _KEY_ID_BYTES)
        self._seal_gcm = self._gcm[self._seal_id]

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()

    def seal(self, address: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        body = self._seal_gcm.encrypt(nonce, address.encode(), _AAD)
        return _PREFIX + base64.urlsafe_b64encode(self._seal_id + nonce + body).rstrip(b"=").decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            if sealed.startswith(_PREFIX):
                return self._open_gcm(sealed)
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidTag, InvalidToken, ValueError) as exc:
            raise SealError("sealed value cannot be opened with the configured keys") from exc

    def is_current(self, sealed: str) -> bool:
        """Sealed as :meth:`seal` seals now: AES-GCM under the first key (else reseal it)."""
        if not sealed.startswith(_PREFIX):
            return False
        text = sealed[len(_PREFIX):len(_PREFIX) + 8]
        try:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))[:_KEY_ID_BYTES] == self._seal_id
        except (binascii.Error, ValueError):
            return False

    def reseal(self, sealed: str) -> str:
        """The same value sealed under the first key (after a rotation)."""
        return self.seal(self.open(sealed))

    def _open_gcm(self, sealed: str) -> str:
        text = sealed[len(_PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except binascii.Error as exc:
            raise ValueError("not base64") from exc
        if len(raw) < _KEY_ID_BYTES + _NONCE_BYTES + _TAG_BYTES:
            raise ValueError("too short")
        gcm = self._gcm.get(raw[:_KEY_ID_BYTES])
        if gcm is None:
            raise ValueError("sealed under a key that is not configured")
        nonce = raw[_KEY_ID_BYTES:_KEY_ID_BYTES + _NONCE_BYTES]
        return gcm.decrypt(nonce, raw[_KEY_ID_BYTES + _NONCE_BYTES:], _AAD).decode()
