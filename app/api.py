"""The versioned REST API (/api/v1): flask-smorest, marshmallow schemas, OpenAPI 3.

Every endpoint requires a bearer token (`require`). Domain packages define their blueprints
in their own `api.py`; this module mounts them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, g, request
from flask_smorest import Api, Blueprint, abort

from app.auth.principal import Principal
from app.auth.tokens import authenticate
from app.engine.schemas import ProblemSchema

API_PREFIX = "/api/v1"


def current_principal() -> Principal:
    return g.principal


def require(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Bearer-token authentication plus one scope; 401 without a valid token, 403 without
    the scope. Sets `g.principal` for the view."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from app.auth.service import principal_for_token
            from app.auth.tokens import due_for_touch
            from app.privacy import logs
            from app.web import db_session, stroom

            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            session = db_session()
            row = authenticate(session, token.strip()) if scheme.lower() == "bearer" else None
            if row is None:
                abort(401, message="geldig API-token vereist (Authorization: Bearer ...)")
            principal = principal_for_token(session, row)
            if scope not in (row.scopes or []):
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
            if due_for_touch(row):
                from app.privacy import context

                token_id = row.id
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
    from app.web import stroom

    with stroom().db.transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is not None:
            row.last_used_at = clock.now()


ERROR_DESCRIPTIONS = {
    400: "Ongeldig verzoek",
    401: "Geen of ongeldig token",
    403: "Het token mist de benodigde scope",
    404: "Niet gevonden",
    409: "Conflict: iemand anders was eerder, of de toestand staat dit niet toe",
    422: "Ongeldige invoer; `errors` noemt per veld wat er mis is",
}


def error_responses(blp: Blueprint) -> Callable[..., Callable[..., Any]]:
    """Document the JSON error answers an endpoint can give (401 and 403 always)."""

    def errors(*codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            for code in sorted({401, 403, *codes}):
                func = blp.alt_response(
                    code, schema=ProblemSchema, description=ERROR_DESCRIPTIONS[code]
                )(func)
            return func

        return decorator

    return errors


class StroomApi(Api):
    # The body every error handler in app/web.py answers with, also as the documented default.
    ERROR_SCHEMA = ProblemSchema


def register_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE="Stroom API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Processen, instanties, taken en berichten van Stroom."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api = StroomApi(app)
    from app.engine.api import blp as engine_blp
    from app.intake.api import blp as signals_blp
    from app.tasks.api import blp as tasks_blp

    for blueprint in (engine_blp, tasks_blp, signals_blp):
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    from app.processes import weert_api

    weert_api.register(api, app)
    return api
