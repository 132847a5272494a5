"""Request limits (Flask-Limiter): one budget per API token across the whole API, a budget
of failed bearer authentications per address, and a per-address budget on each login step
(password, second-factor code, enrolment code) on top of the per-account lockout.

The counters live where `RATE_LIMIT_STORAGE` says: memory:// counts per process, so several
gunicorn workers each allow the budget; point it at redis:// to share one budget.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask, abort, current_app, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from app.config import Settings

LOGIN_LIMIT = "30 per minute"
LOGIN_ENDPOINTS = ("auth.login", "auth.second_factor", "auth.enroll")
_FAILED_TOKENS = "failed-bearer"


def _token_key() -> str:
    """A digest of the bearer token (never the token itself); the address without one, so
    unauthenticated guessing is limited too."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "addr:" + get_remote_address()


def api_blueprints(app: Flask) -> set[str]:
    """The blueprints with routes under the API prefix, read from the URL map, so an API
    blueprint added later gets the budget without anyone remembering to list it."""
    from app.api import API_PREFIX

    names = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX + "/"):
            blueprint = rule.endpoint.rpartition(".")[0]
            if blueprint not in app.blueprints:
                raise RuntimeError(
                    f"API-route {rule.rule} hoort bij geen blueprint en valt buiten de limiet"
                )
            names.add(blueprint)
    return names


def register_rate_limits(app: Flask, settings: Settings) -> Limiter:
    try:
        failed_tokens = parse(settings.api_failed_auth_limit)
    except ValueError as exc:
        raise ValueError(
            f"STROOM_API_FAILED_AUTH_LIMIT={settings.api_failed_auth_limit!r}: {exc}"
        ) from exc
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.rate_limit_storage,
        headers_enabled=True,
        key_prefix="stroom",
    )
    api_limit = limiter.shared_limit(settings.api_rate_limit, scope="api", key_func=_token_key)
    for name in api_blueprints(app):
        api_limit(app.blueprints[name])
    for endpoint in LOGIN_ENDPOINTS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(LOGIN_LIMIT, methods=["POST"])(view)
    app.extensions["stroom_failed_tokens"] = (limiter, failed_tokens)
    return limiter


def _failed_tokens() -> tuple[Limiter, RateLimitItem, str]:
    limiter, item = current_app.extensions["stroom_failed_tokens"]
    return limiter, item, get_remote_address()


def refuse_token_guessing() -> None:
    """429 for an address that had too many failed bearer authentications lately, whatever
    token it sends now: otherwise a lucky guess would still stand out from the refusals."""
    limiter, item, address = _failed_tokens()
    if limiter.limiter.test(item, _FAILED_TOKENS, address):
        return
    from app.web import error_body

    reset = limiter.limiter.get_window_stats(item, _FAILED_TOKENS, address).reset_time
    response = jsonify(
        error_body(
            "too_many_requests",
            f"te veel mislukte pogingen met een API-token vanaf dit adres (limiet {item}); "
            "probeer het later opnieuw",
        )
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(max(1, int(reset - time.time()) + 1))
    abort(response)


def count_failed_token() -> None:
    limiter, item, address = _failed_tokens()
    limiter.limiter.hit(item, _FAILED_TOKENS, address)
