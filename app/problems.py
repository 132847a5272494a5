"""The one shape of an error answer in the API (`{"code", "message", "errors"}`), and how
endpoints document the error answers they can give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields


class ProblemSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())
    trace_id = fields.String(metadata={"description": "Kenmerk van een onverwachte fout (500)"})


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["errors"] = fields
    return body


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
