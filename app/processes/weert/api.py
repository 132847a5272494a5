"""REST endpoints of Vroegsignalering huurschulden Weert: the return overview of stap 4 (read
and send), AMW's list of the 11th and the tenant's objection to AMW (art. 10.4).

Who sees what is decided in app/processes/weert/overviews.py, through the access layer; the
scope only opens the door:

- `feedback:read`: the return overview (the corporation's feedback of stap 4);
- `cases:read`: AMW's list;
- `messages:write`: sending the overview and recording an objection (both deliver a message
  to the cases).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.bearer import current_principal, require
from app.exports import MEDIA_TYPES, to_csv, to_xlsx
from app.problems import error_responses
from app.processes.weert import overviews as views
from app.processes.weert import service as weert
from app.services import db_session, stroom

blp = Blueprint(
    "weert",
    __name__,
    description="Vroegsignalering Weert: retouroverzicht, AMW-lijst en bezwaar tegen AMW",
)
_errors = error_responses(blp)

_MONTH_MESSAGE = "gebruik JJJJ-MM, bijvoorbeeld 2026-03"


class FormatSchema(Schema):
    formaat = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv", "xlsx"], error="kies json, csv of xlsx"),
    )


class OverviewSchema(Schema):
    corporatie = fields.String()
    maand = fields.String()
    verstuurd_op = fields.AwareDateTime(allow_none=True)
    te_versturen = fields.Integer(metadata={"description": "alleen voor de gemeente"})
    verstuurd = fields.Integer(metadata={"description": "alleen voor de gemeente"})
    in_behandeling = fields.Integer(metadata={"description": "alleen voor de gemeente"})
    uiterlijk = fields.AwareDateTime(allow_none=True)
    te_laat = fields.Boolean()
    kolommen = fields.List(fields.String())
    rijen = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))


class SendSchema(Schema):
    status = fields.String(metadata={"description": "verstuurd, aanvulling of al_verstuurd"})
    melding = fields.String()
    verstuurd_op = fields.AwareDateTime(allow_none=True)
    eerder_verstuurd_op = fields.AwareDateTime(allow_none=True)
    huurders = fields.Integer()
    niet_verstuurd = fields.List(fields.String())
    te_laat = fields.Boolean()


class AmwListSchema(Schema):
    maand = fields.String()
    kolommen = fields.List(fields.String())
    rijen = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))


class ObjectionInSchema(Schema):
    kenmerk = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=200, error="moet 1 tot 200 tekens lang zijn"),
            validate.Regexp(r"^\s*\S", error="mag niet leeg zijn"),
        ],
        error_messages={
            "required": "verplicht: het kenmerk van de zaak (bijv. WEE-2026-03-00001)",
            "null": "verplicht: het kenmerk van de zaak",
            "invalid": "moet tekst zijn",
        },
        metadata={"description": "Kenmerk (business key) van de zaak"},
    )


class ObjectionOutSchema(Schema):
    kenmerk = fields.String()
    status = fields.String()
    melding = fields.String()


def _check_month(maand: str) -> None:
    import re

    from app.engine.errors import InvalidInput

    if not re.match(weert.PERIOD_PATTERN, maand):
        raise InvalidInput("ongeldige maand", {"maand": [_MONTH_MESSAGE]})


def _json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Moments as ISO 8601 (Flask would write HTTP dates inside a free-form dict)."""
    from datetime import datetime

    return [
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()} for row in rows
    ]


def _download(name: str, formaat: str, labels: list[str], rows: list[list[Any]]) -> Response:
    content = (to_csv if formaat == "csv" else to_xlsx)(labels, rows)
    return Response(
        content,
        mimetype=MEDIA_TYPES[formaat],
        headers={"Content-Disposition": f'attachment; filename="{name}.{formaat}"'},
    )


@blp.route("/weert/retouroverzichten/<string:corporatie>/<string:maand>")
class ReturnOverview(MethodView):
    @require("feedback:read")
    @blp.arguments(FormatSchema, location="query")
    @blp.response(200, OverviewSchema)
    @blp.alt_response(
        200, description="CSV of XLSX bij formaat=csv/xlsx", success=True, content_type="text/csv"
    )
    @_errors(404, 422)
    def get(self, args: dict[str, Any], corporatie: str, maand: str) -> Any:
        """Het retouroverzicht van een corporatie over een maand (stap 4).

        De corporatie krijgt alleen haar eigen, verstuurde overzicht, per huurder alleen
        referentie, naam, adres en optie. De gemeente ziet ook wat nog verstuurd moet worden."""
        _check_month(maand)
        app = stroom()
        doc = views.overview_document(
            app.db, db_session(), current_principal(), corporatie, maand, app.settings.secret_key
        )
        if args["formaat"] != "json":
            labels, rows = doc.table()
            return _download(f"retouroverzicht-{corporatie}-{maand}", args["formaat"], labels, rows)
        return {**doc.summary(), "kolommen": doc.columns, "rijen": _json_rows(doc.rows())}


@blp.route("/weert/retouroverzichten/<string:corporatie>/<string:maand>/versturen")
class SendReturnOverview(MethodView):
    @require("messages:write")
    @blp.response(200, SendSchema)
    @_errors(404, 409, 422)
    def post(self, corporatie: str, maand: str) -> Any:
        """Verstuur het retouroverzicht (alleen de gemeente). Idempotent: een tweede keer
        verstuurt niets en zegt wanneer het al verstuurd is (status al_verstuurd); zaken die
        na het versturen nog in stap 4 kwamen gaan als aanvulling mee."""
        _check_month(maand)
        app = stroom()
        db_session().rollback()  # the send runs its own transactions
        result = views.send(app.db, current_principal(), corporatie, maand, app.settings.secret_key)
        return {
            "status": result.status,
            "melding": result.message,
            "verstuurd_op": result.overview.sent_at if result.overview.rows else None,
            "eerder_verstuurd_op": result.earlier,
            "huurders": len(result.overview.rows),
            "niet_verstuurd": result.overview.skipped,
            "te_laat": result.overview.late if result.overview.rows else False,
        }


@blp.route("/weert/amw-lijst/<string:maand>")
class AmwList(MethodView):
    @require("cases:read")
    @blp.arguments(FormatSchema, location="query")
    @blp.response(200, AmwListSchema)
    @blp.alt_response(
        200, description="CSV of XLSX bij formaat=csv/xlsx", success=True, content_type="text/csv"
    )
    @_errors(404, 422)
    def get(self, args: dict[str, Any], maand: str) -> Any:
        """De AMW-lijst die AMW in deze maand ontving (de lijst van de 11e): per huurder de
        gegevens van art. 12.3, gezinnen met minderjarige kinderen eerst (art. 4.1)."""
        _check_month(maand)
        app = stroom()
        doc = views.amw_document(
            app.db, db_session(), current_principal(), maand, app.settings.secret_key
        )
        if args["formaat"] != "json":
            labels, rows = doc.table()
            return _download(f"amw-lijst-{maand}", args["formaat"], labels, rows)
        return {"maand": maand, "kolommen": doc.columns, "rijen": _json_rows(doc.as_dicts())}


@blp.route("/weert/bezwaren")
class Objections(MethodView):
    @require("messages:write")
    @blp.arguments(ObjectionInSchema)
    @blp.response(201, ObjectionOutSchema)
    @_errors(404, 409, 422)
    def post(self, body: dict[str, Any]) -> Any:
        """Leg vast dat de huurder bezwaar maakt tegen inschakeling van AMW (art. 10.4),
        vóór de AMW-lijst van de 11e. Alleen de gemeente."""
        app = stroom()
        db_session().rollback()  # the objection runs its own transaction
        key = body["kenmerk"].strip()
        weert.object_to_amw(app.db, current_principal(), key, app.settings.secret_key)
        return {
            "kenmerk": key,
            "status": "vastgelegd",
            "melding": f"Bezwaar tegen AMW vastgelegd voor zaak {key}; "
            "de huurder wordt niet door AMW benaderd.",
        }
