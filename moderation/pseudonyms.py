"""Participant pseudonyms: a keyed HMAC-SHA256 of channel and channel user id.

Without the key nobody can link a pseudonym back to a phone number or Telegram
id, and the same person on the same channel always gets the same pseudonym.
Rotation: set the new key and keep the old one as ``previous``; the runtime
looks a returning participant up under the old pseudonym once and moves their
records to the new one (see docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["Pseudonymiser"]

MIN_KEY_BYTES = 32


class Pseudonymiser:
    __slots__ = ("_key", "_previous")

    def __init__(self, key: bytes, previous: bytes | None = None) -> None:
        for k in (key, previous):
            if k is not None and len(k) < MIN_KEY_BYTES:
                raise ValueError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._previous = previous

    @staticmethod
    def _digest(key: bytes, channel: str, user_id: str) -> str:
        message = f"{channel}\x00{user_id}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def pseudonym(self, channel: str, user_id: str) -> str:
        """64 hex characters; stable for one key, channel and user."""
        return self._digest(self._key, channel, user_id)

    def previous_pseudonym(self, channel: str, user_id: str) -> str | None:
        """The pseudonym under the previous key, during a key rotation."""
        if self._previous is None:
            return None
        return self._digest(self._previous, channel, user_id)
