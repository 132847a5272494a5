"""REST endpoints for process definitions, instances, incidents, messages and BPMN signals.

A partner system's token sees only the instances its organisation plays a party in (others
answer 404) and may not run administrative actions (suspend, resume, cancel, retry: 403);
it starts only the processes its intake routes allow, in their municipalities, with the
parties the municipality's bindings and the token decide (app.cases.service.start_case).
An operator's token (no organisation) may do everything; only it broadcasts a BPMN signal,
which reaches cases of every organisation.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from app.auth.bearer import current_principal, require
from app.cases.service import record_entered, record_signal, send_message, start_case
from app.engine import failures, queries, service, signals
from app.engine.errors import CaseTooLarge, NotFound
from app.engine.models import Incident, ProcessInstance
from app.engine.schemas import (
    BpmnSignalSchema,
    BroadcastSchema,
    CaseDataSchema,
    DefinitionSchema,
    InstanceDetailSchema,
    InstancePageSchema,
    InstanceQuerySchema,
    InstanceSchema,
    MessageSchema,
    ReasonSchema,
    StartSchema,
)
from app.privacy import access
from app.problems import error_responses
from app.services import db_session, stroom

blp = Blueprint("processes", __name__, description="Processen, instanties en berichten")
_errors = error_responses(blp)


def _definition(definition: Any) -> dict[str, Any]:
    return {
        "key": definition.key,
        "name": definition.name,
        "latest_version": definition.versions[-1].version if definition.versions else None,
        "versions": definition.versions,
    }


def _operator_only() -> None:
    if not current_principal().is_system:
        abort(403, message="alleen voor beheer (een token zonder organisatie)")


@blp.route("/processes")
class Processes(MethodView):
    @require("processes:read")
    @blp.response(200, DefinitionSchema(many=True))
    @_errors()
    def get(self) -> Any:
        return [_definition(d) for d, _v in queries.list_definitions(db_session())]


@blp.route("/processes/<string:key>")
class Process(MethodView):
    @require("processes:read")
    @blp.response(200, DefinitionSchema)
    @_errors(404)
    def get(self, key: str) -> Any:
        return _definition(queries.get_definition(db_session(), key))


@blp.route("/processes/<string:key>/versions/<int(max=2147483647):number>/diagram")
class ProcessDiagram(MethodView):
    @require("processes:read")
    @blp.response(200, {"type": "string"}, content_type="application/xml")
    @_errors(404)
    def get(self, key: str, number: int) -> Any:
        version = queries.get_version(db_session(), key, number)
        # A Response object: flask-smorest passes it through instead of dumping it.
        return Response(version.bpmn_xml, content_type="application/xml; charset=utf-8")


@blp.route("/processes/<string:key>/instances")
class ProcessInstances(MethodView):
    @require("instances:write")
    @blp.arguments(StartSchema)
    @blp.response(201, InstanceSchema)
    @_errors(404, 422)
    def post(self, body: dict[str, Any], key: str) -> Any:
        session = db_session()
        row = start_case(
            session,
            current_principal(),
            key,
            business_key=body.get("business_key"),
            data=body.get("data"),
            municipality=body.get("municipality"),
            parties=body.get("parties"),
        )
        _record_entered(row, body.get("data"), "zaak.starten", f"start {key}")
        session.commit()
        return row


@blp.route("/instances")
class Instances(MethodView):
    @require("instances:read")
    @blp.arguments(InstanceQuerySchema, location="query")
    @blp.response(200, InstancePageSchema)
    @_errors(422)
    def get(self, args: dict[str, Any]) -> Any:
        principal = current_principal()
        return queries.list_instances(
            db_session(), organisation_id=principal.organisation_id, **args
        )


@blp.route("/instances/<string:instance_id>")
class Instance(MethodView):
    @require("instances:read")
    @blp.response(200, InstanceDetailSchema)
    @_errors(404)
    def get(self, instance_id: str) -> Any:
        session = db_session()
        row, _parties = access.visible_instance(session, current_principal(), instance_id)
        return queries.instance_details(session, row)


@blp.route("/instances/<string:instance_id>/data")
class InstanceData(MethodView):
    @require("cases:read")
    @blp.response(200, CaseDataSchema)
    @_errors(404)
    def get(self, instance_id: str) -> Any:
        app = stroom()
        view = access.read_case(
            app.db,
            db_session(),
            current_principal(),
            instance_id,
            "inzage via API",
            app.settings.secret_key,
        )
        return {
            "id": view.instance.id,
            "phase": view.phase,
            "parties": sorted(view.parties),
            "data": view.fields,
        }


def _instance_action(name: str, action: Any) -> None:
    class Action(MethodView):
        @require("instances:write")
        @blp.arguments(ReasonSchema)
        @blp.response(200, InstanceSchema)
        @_errors(404, 409, 422)
        def post(self, body: dict[str, Any], instance_id: str) -> Any:
            session = db_session()
            access.visible_instance(session, current_principal(), instance_id)
            _operator_only()
            row = action(session, instance_id, current_principal().actor, body["reason"])
            session.commit()
            return row

    Action.__name__ = f"Instance{name.title()}"
    blp.route(f"/instances/<string:instance_id>/{name}")(Action)


_instance_action("suspend", service.suspend_instance)
_instance_action("resume", service.resume_instance)
_instance_action("cancel", service.cancel_instance)


@blp.route("/incidents/<int(max=2147483647):incident_id>/retry")
class IncidentRetry(MethodView):
    @require("instances:write")
    @blp.arguments(ReasonSchema)
    @blp.response(200, InstanceSchema)
    @_errors(404, 409, 422)
    def post(self, body: dict[str, Any], incident_id: int) -> Any:
        session = db_session()
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"incident {incident_id} bestaat niet")
        access.visible_instance(session, current_principal(), incident.instance_id)
        _operator_only()
        row = service.retry_incident(
            session, incident_id, current_principal().actor, body["reason"]
        )
        session.commit()
        return row


def _record_entered(
    row: ProcessInstance, data: dict[str, Any] | None, action: str, purpose: str
) -> None:
    app = stroom()
    record_entered(
        app.db,
        db_session(),
        app.settings.secret_key,
        current_principal(),
        row,
        data,
        action,
        purpose,
    )


@blp.route("/messages")
class Messages(MethodView):
    @require("messages:write")
    @blp.arguments(MessageSchema)
    @blp.response(200, InstanceSchema)
    @_errors(404, 409, 422)
    def post(self, body: dict[str, Any]) -> Any:
        session = db_session()
        principal = current_principal()
        try:
            row = send_message(
                session, principal, body["name"], body["correlation_key"], body.get("data")
            )
        except CaseTooLarge as exc:
            # The sender gets the 422; the case's process owner an incident (written after
            # the refused transition rolled back, in a transaction of its own).
            session.rollback()
            with stroom().db.transaction() as own:
                failures.message_refused(own, exc, body["name"], principal.actor)
            raise
        _record_entered(row, body.get("data"), "bericht.afleveren", f"bericht {body['name']}")
        session.commit()
        return row


@blp.route("/bpmn-signals")
class BpmnSignals(MethodView):
    @require("messages:write")
    @blp.arguments(BpmnSignalSchema)
    @blp.response(200, BroadcastSchema)
    @_errors(403, 409, 422)
    def post(self, body: dict[str, Any]) -> Any:
        """Stuur een BPMN-signaal (broadcast), zoals Camunda 7.

        Elke instantie die op dit signaal wacht (tussen- of grensgebeurtenis) ontvangt het,
        en van elk proces met een signaalstart voor deze naam start de nieuwste versie.
        Alleen voor beheer (een token zonder organisatie): een signaal bereikt zaken van
        alle organisaties. Meldingen van partners gaan via /signals."""
        _operator_only()
        session = db_session()
        result = signals.broadcast(
            session, body["name"], body.get("data"), current_principal().actor
        )
        app = stroom()
        record_signal(
            app.db,
            session,
            app.settings.secret_key,
            current_principal(),
            result,
            body.get("data"),
            body["name"],
        )
        session.commit()
        return result
