"""Graph API errors mapped to Praatmee's error hierarchy, in one place.

Meta asks to "build your app's error handling around error codes instead of
subcodes or HTTP response status codes" (throttling often comes back as HTTP
400), so :func:`map_graph_error` keys on ``error.code`` and only falls back to
the HTTP status when the body has no code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bot.errors import (
    BadRequest,
    ChannelError,
    Forbidden,
    OutsideWindow,
    RetryAfter,
    TransientError,
)

__all__ = ["PERMANENT_CODES", "graph_error_code", "map_graph_error"]

#: Number throughput reached (80/s by default): pause every send on this platform.
THROUGHPUT = 130429
#: Pair rate: too many messages to one user; other users are unaffected.
PAIR_RATE = 131056
#: Free-form message outside the 24-hour customer service window.
OUTSIDE_WINDOW = 131047
#: Invalid or expired access token.
TOKEN = 190

#: Meta-side trouble: unknown error, service unavailable, maintenance.
_TRANSIENT = frozenset({1, 2, 131000, 131016, 131057})
#: App/WABA API-call limits and the spam rate limit: back off the whole number.
_SLOW_DOWN = frozenset({4, 80007, 131048})
#: The recipient cannot be reached with this message: undeliverable (not on
#: WhatsApp, old app, terms not accepted), stopped marketing messages, blocked by
#: the business, or held back "to maintain healthy ecosystem engagement".
_UNREACHABLE = frozenset({131026, 131050, 130403, 131049})
#: Failed statuses with these codes will fail again for every later message;
#: 131049 is left out because Meta lifts it after a day.
PERMANENT_CODES = frozenset({131026, 131050, 130403, 131051})

_PAIR_RATE_WAIT = timedelta(seconds=6)
_THROUGHPUT_WAIT = timedelta(seconds=1)
_SLOW_DOWN_WAIT = timedelta(seconds=60)


def graph_error_code(body: object) -> int | None:
    """The ``error.code`` of a Graph error envelope, or None."""
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if not isinstance(error, Mapping):
        return None
    code = error.get("code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def map_graph_error(http_status: int, body: object, *, context: str = "") -> ChannelError:
    """The one place a failed Graph call becomes a Praatmee error.

    - 130429 → :class:`RetryAfter` for the whole platform, 131056 → per recipient;
    - 131047 → :class:`OutsideWindow` (the runtime falls back to a template);
    - 131000/131016/131057, any 5xx and unparseable answers → :class:`TransientError`;
    - 131026/131050/130403/131049 → :class:`Forbidden`: this participant cannot be
      reached, resending the same message cannot help;
    - 190 → :class:`BadRequest` naming the access token: an operator must act;
    - 131051, 100, 131009 and every other 4xx → :class:`BadRequest`: the payload
      was refused, so the same payload must not be retried.

    The error message carries the code and Meta's text, never the recipient.
    """
    code = graph_error_code(body)
    detail = _describe(code, body, context)
    if code == THROUGHPUT:
        return RetryAfter(_THROUGHPUT_WAIT, detail)
    if code == PAIR_RATE:
        return RetryAfter(_PAIR_RATE_WAIT, detail, per_recipient=True)
    if code in _SLOW_DOWN:
        return RetryAfter(_SLOW_DOWN_WAIT, detail)
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(detail)
    if code in _TRANSIENT:
        return TransientError(detail)
    if code in _UNREACHABLE:
        return Forbidden(detail)
    if code == TOKEN:
        return BadRequest(f"WhatsApp access token rejected (invalid or expired): {detail}")
    if http_status >= 500:
        return TransientError(detail)
    if code is None and http_status == 429:
        return RetryAfter(_THROUGHPUT_WAIT, detail)
    return BadRequest(detail)


def _describe(code: int | None, body: object, context: str) -> str:
    message = ""
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        message = str(body["error"].get("message", ""))[:200]
    parts = [p for p in (context, f"Graph error {code}" if code is not None else "", message) if p]
    return ": ".join(parts) or "Graph API call failed"
