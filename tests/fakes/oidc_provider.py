"""A fake OpenID Connect provider on 127.0.0.1 (random port), speaking the real protocol.

Authorization code flow (OpenID Connect Core 1.0 §3.1) with what the app's Authlib client
uses: discovery (`/.well-known/openid-configuration`), `/authorize` (answers at once with a
redirect carrying `code` and `state`, for the person the test chose with `log_in_as`),
`/token` (client authentication with client_secret_basic or client_secret_post, one-time
codes bound to client and redirect URI, PKCE S256 checked when the client sent a challenge),
an RS256 ID token signed with a key generated per provider and published at `/jwks`, and
`/userinfo` for a bearer access token.

Checks are strict, so the app is tested against the protocol and not against itself. Every
request is kept in `requests`. `claims_in_id_token = False` makes the provider put only the
standard claims in the ID token and the rest (organisation, groups, roles) at `/userinfo`,
as some providers do to keep ID tokens small.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urlencode

import pytest
from authlib.oidc.core.util import create_half_hash
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

with warnings.catch_warnings():  # authlib.jose announces joserfc; the app's Authlib uses it
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt

STANDARD_CLAIMS = {"sub", "name", "email", "preferred_username"}


@lru_cache(maxsize=1)
def _signing_key() -> Any:
    """One RSA key per test run: generating one takes a moment."""
    return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "nep-sleutel-1"})


@dataclass
class Received:
    method: str
    path: str
    args: dict[str, str]
    form: dict[str, str]
    authorization: str | None


@dataclass
class FakeOidcProvider:
    """Configure before or during a test; read `requests` afterwards."""

    client_id: str = "stroom"
    client_secret: str = "geheim-van-stroom"
    redirect_uris: list[str] = field(default_factory=list)  # empty: any URI is accepted
    claims_in_id_token: bool = True
    userinfo_sub: str | None = None  # answer /userinfo for another subject (a broken provider)
    token_ttl: int = 300
    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    _user: dict[str, Any] | None = None
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def log_in_as(self, claims: dict[str, Any] | None) -> None:
        """Who authenticates at the next /authorize; None: the person cancels (access_denied)."""
        self._user = dict(claims) if claims is not None else None

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(
            Received(
                request.method,
                request.path,
                dict(request.args),
                dict(request.form),
                request.headers.get("Authorization"),
            )
        )
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/authorize"): self._authorize,
            ("POST", "/token"): self._token,
            ("GET", "/jwks"): self._jwks,
            ("GET", "/userinfo"): self._userinfo,
        }
        handler = routes.get((request.method, request.path))
        response = handler(request) if handler else _json({"error": "not_found"}, 404)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        base = self.base_url
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "userinfo_endpoint": f"{base}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "scopes_supported": ["openid", "profile", "email"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code"],
            }
        )

    def _authorize(self, request: Request) -> Response:
        args = request.args
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id:
            return _json({"error": "unauthorized_client"}, 400)  # never redirect then
        if not redirect_uri or (self.redirect_uris and redirect_uri not in self.redirect_uris):
            return _json({"error": "invalid_request", "error_description": "redirect_uri"}, 400)
        answer: dict[str, str] = {}
        if args.get("state"):
            answer["state"] = args["state"]
        if args.get("response_type") != "code" or "openid" not in args.get("scope", "").split():
            answer["error"] = "invalid_request"
        elif args.get("code_challenge") and args.get("code_challenge_method") != "S256":
            answer["error"] = "invalid_request"
        elif self._user is None:
            answer["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = {
                    "claims": dict(self._user),
                    "redirect_uri": redirect_uri,
                    "nonce": args.get("nonce"),
                    "code_challenge": args.get("code_challenge"),
                    "issued": time.time(),
                }
            answer["code"] = code
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302, headers={"Location": redirect_uri + separator + urlencode(answer)}
        )

    def _client_ok(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return (unquote_plus(user), unquote_plus(password)) == (
                self.client_id,
                self.client_secret,
            )
        return (request.form.get("client_id"), request.form.get("client_secret")) == (
            self.client_id,
            self.client_secret,
        )

    def _token(self, request: Request) -> Response:
        if not self._client_ok(request):
            return _json({"error": "invalid_client"}, 401)
        form = request.form
        if form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or time.time() - grant["issued"] > 60:
            return _json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return _json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        if grant["code_challenge"]:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if expected != grant["code_challenge"]:
                return _json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        access_token = secrets.token_urlsafe(32)
        claims = grant["claims"]
        with self._lock:
            self._tokens[access_token] = claims
        now = int(time.time())
        id_claims = {
            "iss": self.issuer,
            "sub": claims["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.token_ttl,
            "auth_time": now,
            "at_hash": create_half_hash(access_token, "RS256").decode(),
        }
        if grant["nonce"]:
            id_claims["nonce"] = grant["nonce"]
        id_claims.update(
            claims
            if self.claims_in_id_token
            else {k: v for k, v in claims.items() if k in STANDARD_CLAIMS}
        )
        key = _signing_key()
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, id_claims, key).decode()
        return _json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": self.token_ttl,
                "scope": "openid profile email",
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _jwks(self, request: Request) -> Response:
        return _json({"keys": [_signing_key().as_dict(is_private=False)]})

    def _userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        claims = self._tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if claims is None:
            return _json(
                {"error": "invalid_token"},
                401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if self.userinfo_sub is not None:
            claims = {**claims, "sub": self.userinfo_sub}
        return _json(claims)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, mimetype="application/json", headers=headers or {}
    )


@pytest.fixture
def oidc_provider() -> Iterator[FakeOidcProvider]:
    """A running fake provider; its `metadata_url` goes into Settings(oidc_metadata_url=...)."""
    fake = FakeOidcProvider()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
