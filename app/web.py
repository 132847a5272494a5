"""The Flask application, assembled: settings and database, the domains' pages and API, each
process package's pages (app/plugins.py), sessions, CSRF, rate limits and error pages.

The request's database session lives in app/services.py, the API's doors in app/auth/bearer.py."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app import plugins
from app.config import Settings
from app.db import Database
from app.engine.errors import EngineError
from app.problems import error_body
from app.services import Stroom


def create_app(
    settings: Settings | None = None, db: Database | None = None, testing: bool = False
) -> Flask:
    settings = settings or Settings()
    plugins.use_paths(settings.process_paths)
    db = db or Database(settings.database_url)
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.extensions["stroom"] = Stroom(settings, db)

    @app.before_request
    def _refuse_nul_characters() -> Any:
        # No database stores NUL in text (PostgreSQL refuses it): answer 422, not 500.
        def has_nul(value: Any) -> bool:
            if isinstance(value, str):
                return "\x00" in value
            if isinstance(value, dict):
                return any(has_nul(k) or has_nul(v) for k, v in value.items())
            if isinstance(value, list):
                return any(has_nul(v) for v in value)
            return False

        body = request.get_json(silent=True) if request.is_json else None
        if (
            has_nul(request.path)
            or has_nul(dict(request.args))
            or has_nul(dict(request.form))
            or has_nul(body)
        ):
            return jsonify(error_body("invalid_input", "NUL-tekens zijn niet toegestaan")), 422
        return None

    @app.before_request
    def _begin_operation() -> None:

        from app.privacy import context

        channel = "api" if request.path.startswith("/api/") else "web"
        context.begin(
            channel, request.remote_addr, request.headers.get("traceparent"), deferred=True
        )

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        from app.privacy import context, logs

        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None or session.in_transaction():
                session.rollback()
            session.close()
        # Log rows go in after the request's own transaction has ended, even when it failed.
        try:
            logs.flush(db)
        finally:
            context.end()

    @app.get("/healthz")
    def _healthz() -> Any:
        from sqlalchemy import text

        with db.session() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok"}

    from app.api import register_api
    from app.auth.views import register_auth
    from app.ui import register_ui

    register_ui(app)
    register_auth(app)
    _register_pages(app)

    register_api(app)
    _exempt_api_from_csrf(app)
    from app.ratelimit import register_rate_limits

    register_rate_limits(app, settings)

    _register_errors(app)
    return app


def _exempt_api_from_csrf(app: Flask) -> None:
    """The API authenticates with bearer tokens, not cookies: CSRF does not apply."""
    from app.ratelimit import api_blueprints

    csrf = app.extensions["stroom_csrf"]
    for name in api_blueprints(app):
        csrf.exempt(app.blueprints[name])


def _register_errors(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError) -> Any:
        if not request.path.startswith("/api/"):
            from flask import render_template

            title, message = _PAGES.get(exc.status, ("Er ging iets mis", exc.message))
            if exc.status not in (403, 404):
                message = exc.message  # conflicts and invalid input say what happened
            return render_template("errors/page.html", title=title, message=message), exc.status
        return jsonify(error_body(exc.code, exc.message, exc.fields)), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return _html_error(exc)

        fields = None
        message = exc.description or exc.name or ""
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            fields = data.get("errors") or data.get("messages")
            message = data.get("message") or message
        # webargs nests field errors by location ({"json": {...}}); keep one level for clients.
        if (
            isinstance(fields, dict)
            and len(fields) == 1
            and next(iter(fields)) in ("json", "query", "form", "files", "headers")
        ):
            fields = next(iter(fields.values()))
        return jsonify(
            error_body((exc.name or "error").lower().replace(" ", "_"), message, fields)
        ), exc.code


_PAGES = {
    400: (
        "Verzoek niet uitgevoerd",
        "Het formulier kon niet worden verwerkt. Vernieuw de pagina en probeer het opnieuw.",
    ),
    403: ("Geen toegang", "U heeft niet de rol die voor deze pagina nodig is."),
    404: ("Niet gevonden", "Deze pagina of dit gegeven bestaat niet, of is niet voor u."),
    405: ("Niet toegestaan", "Deze handeling kan hier niet."),
    409: ("Iemand anders was eerder", "Vernieuw de pagina om de actuele stand te zien."),
    429: ("Te veel verzoeken", "Wacht even en probeer het dan opnieuw."),
}


def _html_error(exc: HTTPException) -> Any:
    from flask import render_template
    from flask_wtf.csrf import CSRFError

    code = exc.code or 500
    title, message = _PAGES.get(code, ("Er ging iets mis", "Probeer het later opnieuw."))
    if isinstance(exc, CSRFError):
        message = (
            "Uw sessie is verlopen of het formulier is verouderd. Vernieuw de pagina "
            "en probeer het opnieuw."
        )
    return render_template("errors/page.html", title=title, message=message), code


def _register_pages(app: Flask) -> None:
    from app import navigation
    from app.auth.web import web_principal
    from app.cases.views import bp as cases_bp
    from app.intake.views import bp as intake_bp
    from app.manage import register_manage
    from app.privacy.views import register_privacy
    from app.tasks.views import bp as inbox_bp

    for blueprint in (inbox_bp, cases_bp, intake_bp):
        app.register_blueprint(blueprint)
    for _package, blueprint in plugins.offered("pages"):
        app.register_blueprint(blueprint)
    register_manage(app)
    register_privacy(app)
    from app.engine.events import label as event_label

    app.add_template_filter(event_label, "gebeurtenis")
    app.add_template_global(web_principal, "current_principal")

    app.add_template_filter(lambda first, *others: list(zip(first, *others, strict=False)), "zip")

    app.add_template_global(lambda: navigation.items(web_principal()), "navigation")
