"""The Flask application factory and the per-request database session."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, HTTPException

from app import text_rules
from app.config import Settings
from app.db import Database
from app.engine.errors import EngineError

log = logging.getLogger(__name__)


class Stroom:
    """What the application holds: its settings and its database."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db


class StroomRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not JSON at all: werkzeug's 415
            return super().on_json_loading_failed(e)
        raise BadRequest(f"De inhoud van het verzoek is niet te lezen: {e}.")


class StroomResponse(Response):
    def set_data(self, value: bytes | str) -> None:
        # Text stored before the doors refused lone surrogates still renders (with U+FFFD)
        # instead of failing to encode: pages, JSON, anything built from a string.
        if isinstance(value, str):
            value = text_rules.readable(value)
        super().set_data(value)


class StroomJSONProvider(DefaultJSONProvider):
    # Surrogates stay characters in the output (not \\u escapes), so StroomResponse can
    # replace them; the JSON means the same.
    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return text_rules.parse_json(s, **kwargs)


def stroom() -> Stroom:
    return current_app.extensions["stroom"]


def db_session() -> Session:
    """One session per request; write requests take SQLite's write lock up front."""
    if "db_session" not in g:
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db_session = stroom().db.session(write=write)
    return g.db_session


def create_app(
    settings: Settings | None = None, db: Database | None = None, testing: bool = False
) -> Flask:
    settings = settings or Settings()
    db = db or Database(settings.database_url)
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.request_class = StroomRequest
    app.response_class = StroomResponse
    app.json = StroomJSONProvider(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.extensions["stroom"] = Stroom(settings, db)

    @app.before_request
    def _refuse_hostile_input() -> Any:
        # Before anything else reads the request: text no page, export or database can
        # hold, and JSON that would overflow a parser, never get in (see app/text_rules.py).
        return _hostile_input()

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
    _configure_argument_parser()
    return app


def _configure_argument_parser() -> None:
    """The API's argument parser (webargs, shared by every flask-smorest blueprint) takes
    the JSON body the request guard parsed and checked, instead of parsing it a second time
    with its own unguarded json.loads; and it refuses query parameters the operation does
    not have (a misspelt filter would otherwise silently return everything)."""
    from flask_smorest import abort
    from flask_smorest.arguments import ArgumentsMixin
    from webargs import core

    parser = ArgumentsMixin.ARGUMENTS_PARSER

    @parser.location_loader("json")
    def _json(req: Request, _schema: Any) -> Any:
        if not req.is_json or not req.get_data(cache=True):
            return core.missing  # as webargs: no body is a missing body, not invalid JSON
        return req.get_json()

    @parser.location_loader("query")
    def _query(req: Request, schema: Any) -> Any:
        known = {f.data_key or name for name, f in schema.fields.items()}
        unknown = [text_rules.shown(k) for k in req.args if k not in known]
        if unknown:
            abort(
                422,
                message=f"onbekende parameter: {unknown[0]}",
                errors={k: ["is geen parameter van deze aanroep"] for k in unknown},
            )
        return parser.load_querystring(req, schema)


def _hostile_input() -> Any:
    """A 400 for JSON that nests too deep or is no JSON; a 422 naming each field whose text
    (or number) app/text_rules.py refuses: path, query string, form fields, file names, JSON."""
    problems: dict[str, list[str]] = {}
    if request.is_json and request.get_data(cache=True):
        body = request.get_json()  # StroomRequest: BadRequest with the reason
        try:
            problems.update(text_rules.json_problems(body))
        except ValueError as exc:
            raise BadRequest(f"De inhoud van het verzoek is niet te lezen: {exc}.") from None

    def check(field: str, value: str, what: str = "") -> None:
        reason = text_rules.problem(value)
        if reason and len(problems) < text_rules.MAX_PROBLEMS:
            problems.setdefault(text_rules.shown(field) or "-", []).append(what + reason)

    check("pad", request.path)
    for source in (request.args, request.form):
        for key, values in source.lists():
            check(key, key, "de veldnaam ")
            for value in values:
                check(key, value)
    for key, upload in request.files.items(multi=True):
        check(key, key, "de veldnaam ")
        check(key, upload.filename or "", "de bestandsnaam ")
    if not problems:
        return None
    field, reasons = next(iter(problems.items()))
    if request.path.startswith("/api/"):
        return jsonify(error_body("invalid_input", f"{field}: {reasons[0]}", problems)), 422
    from flask import render_template

    return render_template(
        "errors/page.html",
        title="Invoer niet verwerkt",
        message=f"Het veld ‘{field}’ {reasons[0]}. Ga terug en pas de invoer aan.",
    ), 422


def _exempt_api_from_csrf(app: Flask) -> None:
    """The API authenticates with bearer tokens, not cookies: CSRF does not apply."""
    csrf = app.extensions["stroom_csrf"]
    for name, blueprint in app.blueprints.items():
        if name in ("engine", "tasks", "signals", "api-docs"):
            csrf.exempt(blueprint)


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["errors"] = fields
    return body


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
        if message == type(exc).description and exc.code in _PAGES:
            message = _PAGES[exc.code][0]  # werkzeug's English default
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            fields = data.get("errors") or data.get("messages")
            message = data.get("message") or message
        # webargs nests field errors by location ({"json": {...}}); keep one level for clients.
        if (
            isinstance(fields, dict)
            and len(fields) == 1
            and next(iter(fields)) in ("json", "query", "form", "files", "headers")
            and isinstance(next(iter(fields.values())), dict)
        ):
            fields = next(iter(fields.values()))
        return (
            jsonify(error_body((exc.name or "error").lower().replace(" ", "_"), message, fields)),
            exc.code,
            _headers(exc),
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        # The safety net: whatever still escapes a view is logged with the trace id the
        # answer names, and answered in the channel's own form (never werkzeug's HTML page).
        from app.privacy import context

        trace = context.current().trace_id
        log.error("onverwachte fout (trace %s)", trace, exc_info=exc)
        if "db_session" in g:
            g.db_session.rollback()
        message = "Er ging aan onze kant iets mis. Noem dit kenmerk als u contact opneemt: " + trace
        if request.path.startswith("/api/"):
            return jsonify({**error_body("internal_error", message), "trace_id": trace}), 500
        from flask import render_template

        try:
            page = render_template("errors/page.html", title="Er ging iets mis", message=message)
            return page, 500
        except Exception:  # noqa: BLE001 - the page itself failed: plain text still answers
            return Response(message, 500, mimetype="text/plain")


def _headers(exc: HTTPException) -> list[tuple[str, str]]:
    """The exception's own headers (Allow on a 405, Retry-After, ...) for our own body."""
    return [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]


_PAGES = {
    400: (
        "Verzoek niet uitgevoerd",
        "Het formulier kon niet worden verwerkt. Vernieuw de pagina en probeer het opnieuw.",
    ),
    403: ("Geen toegang", "U heeft niet de rol die voor deze pagina nodig is."),
    404: ("Niet gevonden", "Deze pagina of dit gegeven bestaat niet, of is niet voor u."),
    405: ("Niet toegestaan", "Deze handeling kan hier niet."),
    409: ("Iemand anders was eerder", "Vernieuw de pagina om de actuele stand te zien."),
    413: ("Te groot", "Het verzoek of bestand is groter dan 20 MB; splits het."),
    415: ("Soort inhoud niet ondersteund", "Dit soort inhoud (Content-Type) kan hier niet."),
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
    return render_template("errors/page.html", title=title, message=message), code, _headers(exc)


def _register_pages(app: Flask) -> None:
    from app import navigation
    from app.auth.web import web_principal
    from app.cases.views import bp as cases_bp
    from app.intake.views import bp as intake_bp
    from app.manage import register_manage
    from app.privacy.views import register_privacy
    from app.processes.weert_views import bp as weert_bp
    from app.tasks.views import bp as inbox_bp

    for blueprint in (inbox_bp, cases_bp, intake_bp, weert_bp):
        app.register_blueprint(blueprint)
    register_manage(app)
    register_privacy(app)
    from app.engine.events import label as event_label

    app.add_template_filter(event_label, "gebeurtenis")
    app.add_template_global(web_principal, "current_principal")

    app.add_template_filter(lambda first, *others: list(zip(first, *others, strict=False)), "zip")

    app.add_template_global(lambda: navigation.items(web_principal()), "navigation")
