"""What every request passes before a view sees it, and how every answer is written.

- JSON is parsed once, with a depth limit (app/text_rules.py), by the request and by the API's
  argument parser alike; unknown query parameters of an API operation are refused;
- text that no page, export or database can hold (lone surrogates, control and bidi-override
  characters) is refused at the door with the field named: path, query, form, files, JSON;
- text stored before these doors existed still renders (with U+FFFD) instead of failing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Request, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from app import text_rules
from app.problems import error_body


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


def configure_argument_parser() -> None:
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


def hostile_input() -> Any:
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
    if None in request.form or None in request.files:
        # A multipart part without a name: nothing downstream (CSRF included) expects it.
        raise BadRequest("Een deel van het formulier heeft geen naam.")
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


def register_request_log(app: Flask, slow_ms: float) -> None:
    """One WARNING line per request slower than `slow_ms` (method, path, status, time)."""
    log = logging.getLogger("app.requests")

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _slow(response: Any) -> Any:
        started = g.get("request_started")
        if started is not None:
            ms = (time.perf_counter() - started) * 1000
            if ms >= slow_ms:
                log.warning(
                    "traag verzoek: %s %s %s in %.0f ms",
                    request.method,
                    request.path,
                    response.status_code,
                    ms,
                    extra={"duration_ms": round(ms), "status": response.status_code},
                )
        return response
