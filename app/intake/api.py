"""REST endpoints for partners: report signals (single, list or file) and fetch feedback."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.bearer import current_principal, require
from app.engine.errors import InvalidInput
from app.exports import MEDIA_TYPES, to_csv, to_xlsx
from app.intake import service
from app.intake.batches import import_file
from app.intake.feedback import feedback
from app.intake.files import FileProblem
from app.intake.schemas import (
    BatchSchema,
    FeedbackQuerySchema,
    FeedbackSchema,
    FileSchema,
    SignalsInSchema,
    SignalsOutSchema,
)
from app.problems import error_responses
from app.services import db_session, stroom

blp = Blueprint("signals", __name__, description="Meldingen en terugkoppeling voor partners")
_errors = error_responses(blp)


@blp.route("/signals")
class Signals(MethodView):
    @require("signals:write")
    @blp.arguments(SignalsInSchema)
    @blp.response(200, SignalsOutSchema)
    @_errors(404, 422)
    def post(self, body: dict[str, Any]) -> Any:
        session, app = db_session(), stroom()
        intake = service.prepare(
            session, current_principal(), app.settings.secret_key, body.get("gemeente")
        )
        rows = list(enumerate(body["signalen"]))
        results = service.receive(session, intake, rows, "api")
        session.commit()
        return {
            "resultaten": [
                {
                    "index": r.row,
                    "status": r.status,
                    "eerder_gemeld": r.earlier_signal,
                    "fouten": [{"veld": f, "probleem": p} for f, p in r.errors],
                }
                for r in results
            ],
            "opgeslagen": sum(r.status in ("opgeslagen", "bij_bestaande_casus") for r in results),
            "afgewezen": sum(r.status == "afgewezen" for r in results),
            "dubbel": sum(r.status == "dubbel" for r in results),
        }


@blp.route("/signals/batches")
class SignalBatches(MethodView):
    @require("signals:write")
    @blp.arguments(FileSchema, location="files")
    @blp.response(201, BatchSchema)
    @_errors(404, 422)
    def post(self, files: dict[str, Any]) -> Any:
        app = stroom()
        upload = files["bestand"]
        db_session().rollback()  # the import runs its own transactions
        try:
            return import_file(
                app.db,
                current_principal(),
                upload.filename or "bestand",
                upload.read(),
                app.settings.secret_key,
            )
        except FileProblem as exc:
            raise InvalidInput(str(exc), {"bestand": [str(exc)]}) from exc


@blp.route("/feedback")
class Feedback(MethodView):
    @require("feedback:read")
    @blp.arguments(FeedbackQuerySchema, location="query")
    @blp.response(200, FeedbackSchema)
    @blp.alt_response(
        200, description="CSV of XLSX bij formaat=csv/xlsx", success=True, content_type="text/csv"
    )
    @_errors(422)
    def get(self, args: dict[str, Any]) -> Any:
        app = stroom()
        result = feedback(
            app.db, db_session(), current_principal(), args["periode"], app.settings.secret_key
        )
        if args["formaat"] == "json":
            return {"kolommen": result.columns, "labels": result.labels, "rijen": result.rows}
        content = (to_csv if args["formaat"] == "csv" else to_xlsx)(result.labels, result.rows)
        name = f"terugkoppeling-{args['periode']}.{args['formaat']}"
        return Response(
            content,
            mimetype=MEDIA_TYPES[args["formaat"]],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
