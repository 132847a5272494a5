"""Answers for errors: a JSON body (app/problems.py) on the API, the error page on pages, with
the exception's own headers (Allow on a 405, Retry-After on a 429), and a safety net that
answers with a trace id whatever still escapes a view."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.engine.errors import EngineError
from app.problems import error_body
from app.validation_messages import in_dutch

log = logging.getLogger(__name__)


def register_errors(app: Flask) -> None:
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
        if fields is not None:
            fields = in_dutch(fields)
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
