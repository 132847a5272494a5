"""Publishing over HTTP, for operators' tokens with scope `processes:deploy`:

- `POST /api/v1/deployments`: Stroom's own endpoint (multipart `bestanden`, `proefdraai`),
  problems as `errors` per file with element and line;
- `POST /api/v1/engine-rest/deployment/create`: the request the desktop Camunda Modeler's
  deploy dialog sends (Camunda 7 REST; set the Modeler's endpoint URL to
  `https://<stroom>/api/v1/engine-rest` and authenticate with the token as bearer token),
  answered as Camunda answers it, parse problems included, so the Modeler shows them.

A partner's token is refused (403) even with the scope: who owns a process is not yet recorded
per organisation, so only an installation-wide token may replace one.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from app import clock
from app.auth.bearer import current_principal, require
from app.engine.errors import DeploymentError, InvalidInput
from app.modelling import catalogue
from app.modelling.publish import (
    Preview,
    Upload,
    UploadProblem,
    deployment_id,
    kind,
    preview,
    publish,
)
from app.modelling.templates import element_templates
from app.privacy import logs
from app.problems import error_responses
from app.services import db_session, stroom

blp = Blueprint("deployments", __name__, description="Processen publiceren (procesbeheer)")
_errors = error_responses(blp)
TRUE = ("1", "true", "ja", "on")


class PublishedVersionSchema(Schema):
    proces = fields.String(required=True)
    versie = fields.Integer(required=True)


class DeploymentSchema(Schema):
    id = fields.String(required=True)
    proefdraai = fields.Boolean(required=True)
    nieuw = fields.List(fields.Nested(PublishedVersionSchema), required=True)
    ongewijzigd = fields.List(fields.Nested(PublishedVersionSchema), required=True)


class DeploymentFormSchema(Schema):
    bestanden = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        required=True,
        metadata={"description": ".bpmn-, .form- en .catalogus.yaml-bestanden"},
    )
    proefdraai = fields.Boolean(
        metadata={"description": "alleen controleren, niets publiceren"}, load_default=False
    )


def _operator() -> None:
    if not current_principal().is_system:
        abort(403, message="publiceren mag alleen met een token van beheer (zonder organisatie)")


def _uploads(*names: str) -> list[Upload]:
    """Every file part (of the named fields, or of any field when none is named)."""
    parts = [
        item
        for key in request.files
        if not names or key in names
        for item in request.files.getlist(key)
    ]
    return [Upload(part.filename or "", part.read()) for part in parts]


def _pairs(versions: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"proces": key, "versie": number} for key, number in versions]


def _audit(action: str, upload_id: str, result: str, details: dict[str, Any]) -> None:
    app = stroom()
    logs.audit(
        app.db,
        app.settings.secret_key,
        current_principal(),
        action,
        "deployment",
        upload_id,
        result,
        details,
    )


def _held(files: list[Upload], ask: bool, channel: str) -> dict[str, list[str]]:
    """The uploaded catalogues that widen who may read personal data without the privacy
    officer's approval of that very text, by file; with `ask`, the requests are made (and
    committed, audited) so the officer sees them. A catalogue deploy cannot read is left to
    deploy's own problems."""
    session, app = db_session(), stroom()
    principal = current_principal()
    texts = []
    for upload in files:
        if kind(upload.name) == "catalogue":
            try:
                texts.append((upload.name, upload.content.decode("utf-8")))
            except UnicodeDecodeError:
                continue  # deploy reports what is wrong with it
    held = catalogue.hold_texts(session, texts, principal.actor, ask=ask)
    if ask and held:
        session.commit()  # the officer sees the requests even though nothing is published
    found: dict[str, list[str]] = {}
    for name, one in held:
        if ask and one.new_request:
            catalogue.audit_request(app.db, app.settings.secret_key, principal, one, channel)
        found.setdefault(name, []).append(catalogue.held_message(one))
    return found


def _problems_by_file(exc: DeploymentError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in exc.problems:
        where = ", ".join(
            part
            for part in (
                f"element {problem.element}" if problem.element else "",
                f"regel {problem.line}" if problem.line else "",
            )
            if part
        )
        found.setdefault(problem.file, []).append(
            f"{where}: {problem.message}" if where else problem.message
        )
    return found


@blp.route("/deployments")
class Deployments(MethodView):
    @require("processes:deploy")
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"multipart/form-data": {"schema": DeploymentFormSchema}},
        }
    )
    @blp.response(201, DeploymentSchema)
    @_errors(422)
    def post(self) -> Any:
        """Controleer en publiceer diagrammen, formulieren en catalogi (zoals `stroom deploy`)."""
        _operator()
        unknown = sorted(set(request.form) - {"proefdraai"} | set(request.files) - {"bestanden"})
        if unknown:
            raise InvalidInput("onbekende velden", {name: ["onbekend veld"] for name in unknown})
        dry_run = request.form.get("proefdraai", "false").strip().lower() in TRUE
        files = _uploads("bestanden")
        upload_id = deployment_id(files) if files else "-"
        session, app = db_session(), stroom()
        held = bool(files) and bool(_held(files, ask=False, channel="api"))
        try:
            if dry_run or held:
                result: Preview | Any = preview(session, files, app.settings)
                new, unchanged = result.new, result.unchanged
            else:
                result = publish(session, files, app.settings, current_principal().actor)
                new, unchanged = result.created, result.unchanged
        except UploadProblem as exc:
            raise InvalidInput("de upload is niet te publiceren", exc.problems) from exc
        except DeploymentError as exc:
            session.rollback()
            if not dry_run:
                _audit(
                    "proces.publiceren", upload_id, "geweigerd", {"problemen": len(exc.problems)}
                )
            raise InvalidInput(
                "het diagram heeft problemen; er is niets gepubliceerd", _problems_by_file(exc)
            ) from exc
        if held:  # the diagram is fine; the catalogue waits for the privacy officer
            problems = _held(files, ask=not dry_run, channel="api")
            if not dry_run:
                _audit("proces.publiceren", upload_id, "wacht op goedkeuring", {})
            raise InvalidInput(
                "de catalogus wacht op goedkeuring van de privacyfunctionaris", problems
            )
        if not dry_run:
            session.commit()
            _audit("proces.publiceren", upload_id, "gelukt", {"nieuw": _pairs(new)})
        return {
            "id": upload_id,
            "proefdraai": dry_run,
            "nieuw": _pairs(new),
            "ongewijzigd": _pairs(unchanged),
        }, 201


@blp.route("/element-templates")
class ElementTemplates(MethodView):
    @require("processes:read")
    @blp.response(200, description="Een lijst elementsjablonen (Camunda 7-schema)")
    @_errors()
    def get(self) -> Any:
        """De service-taken van Stroom als elementsjablonen voor de Camunda Modeler."""
        response = jsonify(element_templates())
        response.headers["Content-Disposition"] = 'attachment; filename="stroom-sjablonen.json"'
        return response


@blp.route("/engine-rest/deployment/create")
class CamundaDeployment(MethodView):
    @require("processes:deploy")
    @blp.doc(
        summary="Publiceren vanuit de Camunda Modeler (Camunda 7 REST: POST /deployment/create)",
        requestBody={
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "deployment-name": {"type": "string"},
                            "deployment-source": {"type": "string"},
                            "deploy-changed-only": {"type": "string"},
                            "enable-duplicate-filtering": {"type": "string"},
                            "tenant-id": {"type": "string"},
                        },
                        "additionalProperties": {"type": "string", "format": "binary"},
                    }
                }
            },
        },
    )
    @blp.response(200, description="Camunda's DeploymentDto")
    @blp.alt_response(400, description="Camunda's ParseException met details per bestand")
    @_errors()
    def post(self) -> Any:
        """Every file part is a resource; resources other than diagrams, forms and catalogues
        (DMN, scripts) are refused, as the engine cannot run them. Stroom never makes a version
        equal to the latest, so `deploy-changed-only` is what it always does."""
        _operator()
        files = [u for u in _uploads() if u.name]
        name = request.form.get("deployment-name", "")
        source = request.form.get("deployment-source", "")
        tenant = request.form.get("tenant-id") or None
        upload_id = deployment_id(files) if files else "-"
        session, app = db_session(), stroom()
        held = bool(files) and bool(_held(files, ask=False, channel="camunda-modeler"))
        try:
            if held:
                preview(session, files, app.settings)
            else:
                result = publish(session, files, app.settings, current_principal().actor)
        except UploadProblem as exc:
            return _camunda_error(
                "InvalidRequestException",
                "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.problems.items()),
                {k: [(p, None, None) for p in v] for k, v in exc.problems.items()},
            )
        except DeploymentError as exc:
            session.rollback()
            _audit("proces.publiceren", upload_id, "geweigerd", {"problemen": len(exc.problems)})
            details: dict[str, list[tuple[str, int | None, str | None]]] = {}
            for problem in exc.problems:
                details.setdefault(problem.file, []).append(
                    (problem.message, problem.line, problem.element)
                )
            return _camunda_error(
                "ParseException",
                "ENGINE-09005 Could not parse BPMN process. Errors: "
                + "; ".join(str(p) for p in exc.problems),
                details,
            )
        if held:  # the diagrams are fine; the catalogue waits for the privacy officer
            problems = _held(files, ask=True, channel="camunda-modeler")
            _audit(
                "proces.publiceren", upload_id, "wacht op goedkeuring", {"via": "camunda-modeler"}
            )
            return _camunda_error(
                "ParseException",
                "; ".join(f"{name}: {' '.join(found)}" for name, found in problems.items()),
                {name: [(m, None, None) for m in found] for name, found in problems.items()},
            )
        session.commit()
        _audit(
            "proces.publiceren",
            upload_id,
            "gelukt",
            {"nieuw": _pairs(result.created), "via": "camunda-modeler"},
        )
        now = clock.now().isoformat(timespec="milliseconds")
        deployed = {
            f"{key}:{number}:{upload_id}": {
                "id": f"{key}:{number}:{upload_id}",
                "key": key,
                "name": key,
                "version": number,
                "resource": next((u.name for u in files if kind(u.name) == "diagram"), None),
                "deploymentId": upload_id,
                "suspended": False,
                "tenantId": tenant,
                "versionTag": None,
                "category": None,
                "description": None,
                "diagram": None,
                "historyTimeToLive": None,
                "startableInTasklist": True,
            }
            for key, number in result.created
        }
        return jsonify(
            {
                "links": [],
                "id": upload_id,
                "name": name or None,
                "source": source or None,
                "deploymentTime": now,
                "tenantId": tenant,
                "deployedProcessDefinitions": deployed or None,
                "deployedCaseDefinitions": None,
                "deployedDecisionDefinitions": None,
                "deployedDecisionRequirementsDefinitions": None,
            }
        )


def _camunda_error(
    kind_: str, message: str, details: dict[str, list[tuple[str, int | None, str | None]]]
) -> Any:
    body = {
        "type": kind_,
        "message": message,
        "details": {
            resource: {
                "errors": [
                    {
                        "message": text,
                        "line": line or 0,
                        "column": 0,
                        "mainElementId": element,
                        "elementIds": [element] if element else [],
                    }
                    for text, line, element in problems
                ],
                "warnings": [],
            }
            for resource, problems in details.items()
        },
    }
    return jsonify(body), 400
