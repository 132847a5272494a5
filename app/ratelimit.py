"""Request limits (Flask-Limiter): one budget per API token across the whole API, a budget
of failed bearer authentications per address, and a per-address budget on each login step
(password, second-factor code, enrolment code) on top of the per-account lockout, and a
per-person budget on the modeller's dry runs.

The counters live where `RATE_LIMIT_STORAGE` says: memory:// counts per process, so several
gunicorn workers each allow the budget; point it at redis:// to share one budget.
"""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

from app.auth.bearer import API_PREFIX, FAILED_TOKENS
from app.config import Settings

LOGIN_LIMIT = "30 per minute"
LOGIN_ENDPOINTS = ("auth.login", "auth.second_factor", "auth.enroll")
# The modeller's live dry runs run every deploy check (parse, expressions, data flow) on a
# posted diagram: a budget per person (settings.modeller_check_limit), generous for editing
# (the page waits 0.6 s between checks) and a bound on what one session makes the server do.
CHECK_ENDPOINTS = (
    "modelling.check",
    "modelling.form_check",
    # Each save of the catalogue editor runs the same checks on the edited catalogue.
    "modelling.catalogue_field",
    "modelling.catalogue_new_field",
    "modelling.catalogue_settings",
)


def _token_key() -> str:
    """A digest of the bearer token (never the token itself); the address without one, so
    unauthenticated guessing is limited too."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "addr:" + get_remote_address()


def _person_key() -> str:
    from flask import session

    from app.auth.web import SESSION_USER

    user = session.get(SESSION_USER)
    return f"user:{user}" if user else "addr:" + get_remote_address()


def api_blueprints(app: Flask) -> set[str]:
    """The blueprints with routes under the API prefix, read from the URL map, so an API
    blueprint added later gets the budget without anyone remembering to list it."""
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
    try:
        parse(settings.modeller_check_limit)
    except ValueError as exc:
        raise ValueError(
            f"STROOM_MODELLER_CHECK_LIMIT={settings.modeller_check_limit!r}: {exc}"
        ) from exc
    for endpoint in CHECK_ENDPOINTS:
        view = app.view_functions[endpoint]
        limit = limiter.limit(settings.modeller_check_limit, key_func=_person_key, methods=["POST"])
        app.view_functions[endpoint] = limit(view)
    app.extensions[FAILED_TOKENS] = (limiter, failed_tokens)
    return limiter
