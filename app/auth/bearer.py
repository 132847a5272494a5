"""API doors: bearer-token authentication with one scope per endpoint (`require`), who is
calling (`current_principal`), and the throttle on guessed tokens.

A leaf for the API modules of every domain; app/api.py only mounts their blueprints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from flask_smorest import abort

from app.auth.principal import Principal
from app.problems import error_body

API_PREFIX = "/api/v1"
# Set by app.ratelimit.register_rate_limits: (limiter, limit item) of failed tokens per address.
FAILED_TOKENS = "stroom_failed_tokens"
FAILED_SCOPE = "failed-bearer"


def current_principal() -> Principal:
    return g.principal


def require(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Bearer-token authentication plus one scope; 401 without a valid token, 403 without
    the scope, 429 for an address with too many failed tokens lately. Sets `g.principal` for
    the view."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from app.auth.service import bearer_principal
            from app.auth.tokens import due_for_touch
            from app.privacy import logs
            from app.services import db_session, stroom

            _refuse_token_guessing()
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            session = db_session()
            bearer = scheme.lower() == "bearer" and bool(token.strip())
            found = bearer_principal(session, token.strip()) if bearer else None
            if found is None:
                if bearer:  # a guess; a call without a token is limited by the API budget
                    _count_failed_token()
                abort(401, message="geldig API-token vereist (Authorization: Bearer ...)")
            principal, last_used_at = found
            if not principal.has_scope(scope):
                app = stroom()
                logs.audit(
                    app.db,
                    app.settings.secret_key,
                    principal,
                    "api.toegang",
                    "endpoint",
                    request.path,
                    "geweigerd",
                    {"scope": scope},
                )
                abort(403, message=f"token mist scope {scope!r}")
            if due_for_touch(last_used_at):
                from app.privacy import context

                token_id = principal.id
                context.current().after.append(lambda: _note_use(token_id))
            g.principal = principal
            return view(*args, **kwargs)

        wrapper._stroom_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _note_use(token_id: int) -> None:
    """last_used_at, written in its own short transaction (the request may be read-only)."""
    from app import clock
    from app.auth.models import ApiToken
    from app.services import stroom

    with stroom().db.transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is not None:
            row.last_used_at = clock.now()


def _failed_tokens() -> tuple[Any, Any, str] | None:
    configured = current_app.extensions.get(FAILED_TOKENS)
    if configured is None:
        return None
    limiter, item = configured
    return limiter, item, get_remote_address()


def _refuse_token_guessing() -> None:
    """429 for an address that had too many failed bearer authentications lately, whatever
    token it sends now: otherwise a lucky guess would still stand out from the refusals."""
    found = _failed_tokens()
    if found is None:
        return
    limiter, item, address = found
    if limiter.limiter.test(item, FAILED_SCOPE, address):
        return
    reset = limiter.limiter.get_window_stats(item, FAILED_SCOPE, address).reset_time
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


def _count_failed_token() -> None:
    found = _failed_tokens()
    if found is not None:
        limiter, item, address = found
        limiter.limiter.hit(item, FAILED_SCOPE, address)
