"""Request limits (Flask-Limiter): one budget per API token across the whole API, and a
per-address budget on each login step (password, second-factor code, enrolment code) on top
of the per-account lockout.

The counters live where `RATE_LIMIT_STORAGE` says: memory:// counts per process, so several
gunicorn workers each allow the budget; point it at redis:// to share one budget.
"""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.config import Settings

API_BLUEPRINTS = ("engine", "tasks", "signals")
LOGIN_LIMIT = "30 per minute"
LOGIN_ENDPOINTS = ("auth.login", "auth.second_factor", "auth.enroll")


def _token_key() -> str:
    """A digest of the bearer token (never the token itself); the address without one, so
    unauthenticated guessing is limited too."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "addr:" + get_remote_address()


def register_rate_limits(app: Flask, settings: Settings) -> Limiter:
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.rate_limit_storage,
        headers_enabled=True,
        key_prefix="stroom",
    )
    api_limit = limiter.shared_limit(settings.api_rate_limit, scope="api", key_func=_token_key)
    for name in API_BLUEPRINTS:
        api_limit(app.blueprints[name])
    for endpoint in LOGIN_ENDPOINTS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(LOGIN_LIMIT, methods=["POST"])(view)
    return limiter
