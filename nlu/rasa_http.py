"""NLU through a real Rasa Open Source 3.6 server (``POST /model/parse``) over aiohttp.

Rasa only classifies intents here; themes and language come from the embedded tagger and
detector, so both backends return the same kind of result. Errors are typed and never
carry the message text (it may be personal).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import aiohttp

from nlu.embedded import EmbeddedNlu
from nlu.types import INTENTS, NluResult

__all__ = ["RasaAuthError", "RasaError", "RasaHttpNlu", "RasaNlu", "RasaUnavailable"]


class RasaError(RuntimeError):
    """The Rasa server answered, but not with a parse result."""


class RasaUnavailable(RasaError):
    """No answer in time: connection refused, reset or timed out."""


class RasaAuthError(RasaError):
    """The server refused our token (HTTP 401/403): a configuration error."""


class RasaHttpNlu:
    """Client for one Rasa server; use ``async with`` or call :meth:`close`.

    :param url: base URL, e.g. ``http://127.0.0.1:5005``.
    :param token: the server's ``--auth-token`` (None: a server started without one).
    :param embedded: supplies themes and language (Rasa does intents only).
    :param timeout: seconds for one request, connect included; a chat turn must not hang.
    """

    __slots__ = ("_embedded", "_session", "_timeout", "_token", "_url")

    def __init__(self, url: str, token: str | None, embedded: EmbeddedNlu,
                 timeout: float = 2.0) -> None:
        self._url = url.rstrip("/")
        self._token = token
        self._embedded = embedded
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def parse(self, text: str) -> NluResult:
        """Rasa's intent (``nlu_fallback`` and unknown names -> ``out_of_scope``)."""
        if not text.strip():
            return NluResult(intent="out_of_scope", confidence=0.0)
        body = await self._request("POST", "/model/parse", {"text": text})
        intent = body.get("intent") or {}
        name, confidence = intent.get("name"), intent.get("confidence")
        if not isinstance(confidence, (int, float)):
            raise RasaError("Rasa /model/parse answer has no intent confidence")
        if name not in INTENTS:
            name = "out_of_scope"
        return NluResult(intent=str(name), confidence=round(float(confidence), 4),
                         themes=self._embedded.themes(text),
                         lang=self._embedded.detector.detect(text))

    async def status(self) -> dict[str, Any]:
        """``GET /status`` (model id and fingerprint); raises like :meth:`parse`."""
        return await self._request("GET", "/status", None)

    @property
    def _params(self) -> dict[str, str]:
        return {"token": self._token} if self._token is not None else {}

    async def _request(self, method: str, path: str, payload: dict[str, str] | None
                       ) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        url = f"{self._url}{path}"
        try:
            async with self._session.request(method, url, json=payload,
                                             params=self._params) as resp:
                if resp.status in (401, 403):
                    raise RasaAuthError(f"Rasa at {self._url} refused the token "
                                        f"(HTTP {resp.status}); check the auth token setting")
                if resp.status != 200:
                    raise RasaError(f"Rasa {method} {path} answered HTTP {resp.status}")
                body = await resp.json()
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa at {self._url} unreachable: {type(exc).__name__}"
                                  ) from exc
        except (aiohttp.ContentTypeError, ValueError) as exc:
            raise RasaError(f"Rasa {method} {path} answered with no JSON") from exc
        if not isinstance(body, dict):
            raise RasaError(f"Rasa {method} {path} answered with a non-object")
        return body


#: Short name used by the service and the CLI.
RasaNlu = RasaHttpNlu
