"""Authentication of the BRP client: API key header, OAuth2 client credentials, mutual TLS."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.registers.errors import ConfigurationError, RegisterError
from app.registers.settings import BrpSettings

# Refresh a token this long before the server says it expires (clock skew, slow requests).
EXPIRY_MARGIN_SECONDS = 30.0
DEFAULT_EXPIRES_IN = 300.0


def tls_context(settings: BrpSettings) -> ssl.SSLContext | bool:
    """A TLS context with the CA bundle and client certificate, or True for the defaults."""
    if not (settings.ca_bundle or settings.client_cert):
        return True
    if settings.client_key and not settings.client_cert:
        raise ConfigurationError("STROOM_BRP_CLIENT_KEY is gezet zonder STROOM_BRP_CLIENT_CERT")
    try:
        context = ssl.create_default_context(cafile=settings.ca_bundle)
        if settings.client_cert:
            context.load_cert_chain(settings.client_cert, settings.client_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"BRP-certificaten niet te laden: {exc}") from exc
    return context


@dataclass
class _Token:
    value: str
    expires_at: float


class OAuthClientCredentials:
    """Fetches an access token with the client-credentials grant (RFC 6749 4.4) and keeps it
    until shortly before it expires. Thread-safe: one worker may run handlers in threads."""

    def __init__(
        self,
        settings: BrpSettings,
        http: httpx.Client,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (settings.oauth_token_url and settings.oauth_client_id):
            raise ConfigurationError(
                "OAuth2 voor de BRP vraagt STROOM_BRP_OAUTH_TOKEN_URL en STROOM_BRP_OAUTH_CLIENT_ID"
            )
        if settings.oauth_client_auth not in ("basic", "post"):
            raise ConfigurationError("STROOM_BRP_OAUTH_CLIENT_AUTH moet 'basic' of 'post' zijn")
        self._settings = settings
        self._http = http
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def header(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._monotonic() >= self._token.expires_at:
                self._token = self._fetch()
            return {"Authorization": f"Bearer {self._token.value}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> _Token:
        s = self._settings
        assert s.oauth_token_url and s.oauth_client_id
        data = {"grant_type": "client_credentials"}
        if s.oauth_scope:
            data["scope"] = s.oauth_scope
        auth: httpx.BasicAuth | None = None
        if s.oauth_client_auth == "post":
            data["client_id"] = s.oauth_client_id
            data["client_secret"] = s.oauth_client_secret or ""
        else:
            auth = httpx.BasicAuth(s.oauth_client_id, s.oauth_client_secret or "")
        started = self._monotonic()
        try:
            response = self._http.post(
                s.oauth_token_url, data=data, auth=auth, headers={"Accept": "application/json"}
            )
        except httpx.TimeoutException as exc:
            raise RegisterError(f"BRP-tokenserver antwoordde niet op tijd ({exc})") from exc
        except httpx.HTTPError as exc:
            raise RegisterError(f"BRP-tokenserver niet bereikbaar: {exc}") from exc
        body = _json(response)
        if response.status_code != 200:
            error = body.get("error") or response.reason_phrase
            description = body.get("error_description") or ""
            raise RegisterError(
                f"BRP-token ophalen mislukt: {response.status_code} {error} {description}".strip(),
                status=response.status_code,
            )
        value = body.get("access_token")
        token_type = str(body.get("token_type") or "").lower()
        if not isinstance(value, str) or not value or token_type != "bearer":
            raise RegisterError("BRP-tokenserver gaf geen bruikbaar bearer-token")
        try:
            expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (TypeError, ValueError):
            expires_in = DEFAULT_EXPIRES_IN
        margin = min(EXPIRY_MARGIN_SECONDS, expires_in / 2)
        return _Token(value, started + expires_in - margin)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
