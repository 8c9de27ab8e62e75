"""Codes and links: group ids, join codes, one-time coach invites, join links and QR codes.

Codes come from ``secrets`` and use an alphabet without look-alikes (0/o, 1/l/i),
so a coach can type an invite code from paper. Telegram deep-link payloads
allow only ``A-Za-z0-9_-`` and 64 characters; ``g-<code>`` fits both.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets

import segno

__all__ = [
    "JOIN_PREFIX",
    "invite_hash",
    "join_link",
    "join_payload",
    "new_group_id",
    "new_invite_code",
    "new_join_code",
    "new_prompt_id",
    "normalise_invite",
    "qr_png",
    "qr_svg",
]

JOIN_PREFIX = "g-"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_INVITE = re.compile(r"^\s*coach[\s_-]*([a-z0-9]{4})[\s_-]*([a-z0-9]{4})\s*$", re.IGNORECASE)


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_group_id() -> str:
    return "g" + secrets.token_hex(6)


def new_prompt_id() -> str:
    return "p" + secrets.token_hex(6)


def new_join_code() -> str:
    return _random(10)


def new_invite_code() -> str:
    """``COACH-ABCD-EFGH``: typed once by the new coach, stored only as a hash."""
    code = _random(8).upper()
    return f"COACH-{code[:4]}-{code[4:]}"


def normalise_invite(text: str | None) -> str | None:
    """The canonical invite code in a typed message ("coach abcd efgh" works too), or None."""
    match = _INVITE.match(text or "")
    if match is None:
        return None
    return f"COACH-{match.group(1).upper()}-{match.group(2).upper()}"


def invite_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def join_payload(join_code: str) -> str:
    return JOIN_PREFIX + join_code


def join_link(join_code: str, bot_username: str | None) -> str:
    """The Telegram deep link; without a bot name, the ``/start`` line to type."""
    if bot_username:
        return f"https://t.me/{bot_username}?start={join_payload(join_code)}"
    return f"/start {join_payload(join_code)}"


def qr_png(link: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def qr_svg(link: str, scale: int = 8) -> str:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=False)
    return out.getvalue().decode()
