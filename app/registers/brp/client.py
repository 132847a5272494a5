"""The real BRP: an HTTP client for Haal Centraal BRP Personen Bevragen v2 (`POST /personen`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.registers.brp.auth import OAuthClientCredentials, tls_context
from app.registers.brp.protocol import problem_message
from app.registers.errors import ConfigurationError, RegisterError
from app.registers.settings import BrpSettings

JSON_UTF8 = "application/json; charset=utf-8"


class HaalCentraalBrpClient:
    """Implements `BrpRegister` over HTTP. One instance keeps one connection pool and, with
    OAuth2, one cached token; it is safe to share between threads."""

    def __init__(
        self,
        settings: BrpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.base_url:
            raise ConfigurationError("STROOM_BRP_BASE_URL ontbreekt voor de BRP-koppeling")
        self.url = settings.base_url.rstrip("/") + "/personen"
        self._settings = settings
        self._http = httpx.Client(
            timeout=httpx.Timeout(
                settings.timeout_seconds, connect=settings.connect_timeout_seconds
            ),
            verify=tls_context(settings),
            transport=transport,
            headers={"Accept": JSON_UTF8, "User-Agent": "Stroom"},
        )
        self._oauth = (
            OAuthClientCredentials(settings, self._http, monotonic) if settings.uses_oauth else None
        )

    def close(self) -> None:
        self._http.close()

    def personen(self, query: Mapping[str, Any]) -> dict[str, Any]:
        response = self._post(query)
        if response.status_code == 401 and self._oauth is not None:
            self._oauth.invalidate()  # the token may have been revoked: one fresh try
            response = self._post(query)
        if not response.is_success:
            raise _error(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise RegisterError(
                f"BRP gaf geen geldige JSON terug (status {response.status_code})"
            ) from exc
        if not isinstance(body, dict) or not isinstance(body.get("personen", []), list):
            raise RegisterError("BRP gaf een antwoord zonder lijst 'personen'")
        body.setdefault("personen", [])
        return body

    def _post(self, query: Mapping[str, Any]) -> httpx.Response:
        headers = {"Content-Type": JSON_UTF8}
        if self._settings.api_key:
            headers[self._settings.api_key_header] = self._settings.api_key
        if self._oauth is not None:
            headers.update(self._oauth.header())
        content = json.dumps(dict(query), ensure_ascii=False).encode("utf-8")
        try:
            return self._http.post(self.url, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise RegisterError(
                f"BRP antwoordde niet op tijd ({self._where()}, "
                f"time-out {self._settings.timeout_seconds:g} s)"
            ) from exc
        except httpx.ConnectError as exc:
            raise RegisterError(
                f"BRP niet bereikbaar: geen verbinding met {self._where()} ({exc})"
            ) from exc
        except httpx.HTTPError as exc:
            raise RegisterError(f"BRP niet bereikbaar ({self._where()}): {exc}") from exc

    def _where(self) -> str:
        parts = urlsplit(self.url)
        return parts.netloc or self.url


def _error(response: httpx.Response) -> RegisterError:
    problem: dict[str, Any] = {}
    try:
        body = response.json()
        if isinstance(body, dict):
            problem = body
    except ValueError:
        pass
    fallback = response.reason_phrase or ""
    if not problem and response.text.strip():
        fallback = f"{fallback} {response.text.strip()[:200]}".strip()
    message = problem_message(response.status_code, problem, fallback)
    return RegisterError(message, status=response.status_code, problem=problem)
