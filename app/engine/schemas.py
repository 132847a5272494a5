"""Marshmallow schemas of the engine API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, missing, validate


class RowSchema(Schema):
    """A schema for rows read as objects (ORM rows): the same output as marshmallow's
    `dump`, without its per-field lookup machinery (`Field.serialize` -> `get_value` ->
    `utils.get_value`, several calls a field): each field's attribute is read with
    `getattr` and formatted by the field's own `_serialize`. A list of 50 tasks has 800
    fields; that machinery was about a fifth of the API's task list's CPU time
    (bench/README.md). Anything else (a mapping, a field without an attribute of its own, a
    dotted attribute, a field with a dump default) goes through marshmallow as before."""

    def _plan(self) -> list[tuple[str, str, str, fields.Field]] | None:
        plan = self.__dict__.get("_stroom_plan", False)
        if plan is False:
            plan = []
            for name, field in self.dump_fields.items():
                attribute = field.attribute if field.attribute is not None else name
                if (
                    not field._CHECK_ATTRIBUTE
                    or "." in attribute
                    or field.dump_default is not missing
                ):
                    plan = None
                    break
                key = field.data_key if field.data_key is not None else name
                plan.append((key, attribute, name, field))
            self.__dict__["_stroom_plan"] = plan
        return plan

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        plan = self._plan()
        if plan is None or obj is None:
            return super()._serialize(obj, many=many)
        if many:
            return [self._serialize(each) for each in obj]
        if hasattr(obj, "__getitem__") or type(self).get_attribute is not Schema.get_attribute:
            return super()._serialize(obj)
        result = self.dict_class()
        for key, attribute, name, field in plan:
            value = getattr(obj, attribute, missing)
            if value is not missing:  # marshmallow leaves out a missing attribute too
                result[key] = field._serialize(value, name, obj)
        return result


class VersionSchema(Schema):
    version = fields.Integer()
    content_hash = fields.String()
    source_name = fields.String()
    deployed_at = fields.AwareDateTime()
    deployed_by = fields.String(allow_none=True)


class DefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    latest_version = fields.Integer()
    versions = fields.List(fields.Nested(VersionSchema))


class StartSchema(Schema):
    business_key = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
    municipality = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Gemeente van de zaak; een partnertoken kiest alleen uit de "
            "gemeenten van zijn meldroutes naar dit proces."
        },
    )
    parties = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.String(validate=validate.Length(max=200)),
        metadata={
            "description": "Groep per partij; alleen voor een token zonder organisatie. "
            "Anders volgen de partijen uit de koppelingen van de gemeente en het token."
        },
    )


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class InstanceSchema(RowSchema):
    id = fields.String()
    process = fields.String(attribute="definition_key")
    version = fields.Integer(attribute="version_number")
    business_key = fields.String(allow_none=True)
    status = fields.String()
    started_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    started_by = fields.String(allow_none=True)


class InstanceQuerySchema(Schema):
    process = fields.String()
    status = fields.String(
        validate=validate.OneOf(
            ["running", "waiting", "completed", "cancelled", "suspended", "error"]
        )
    )
    business_key = fields.String()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    cursor = fields.String()


class TaskSchema(RowSchema):
    id = fields.String()
    instance_id = fields.String()
    process = fields.String(attribute="definition_key")
    element_id = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    assignee = fields.String(allow_none=True)
    priority = fields.Integer()
    due_at = fields.AwareDateTime(allow_none=True)
    follow_up_at = fields.AwareDateTime(allow_none=True)
    status = fields.String()
    created_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class TimerSchema(Schema):
    id = fields.Integer()
    element_id = fields.String()
    name = fields.String(allow_none=True)
    kind = fields.String()
    due_at = fields.AwareDateTime()
    status = fields.String()
    fired_at = fields.AwareDateTime(allow_none=True)


class JobSchema(Schema):
    id = fields.Integer()
    element_id = fields.String()
    topic = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime()
    last_error = fields.String(allow_none=True)


class SubscriptionSchema(Schema):
    element_id = fields.String()
    message_name = fields.String()
    correlation_key = fields.String(allow_none=True)
    status = fields.String()


class SignalSubscriptionSchema(Schema):
    element_id = fields.String()
    signal_name = fields.String()
    status = fields.String()


class IncidentSchema(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    element_id = fields.String(allow_none=True)
    kind = fields.String()
    message = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)


class EventSchema(Schema):
    at = fields.AwareDateTime()
    kind = fields.String()
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    details = fields.Dict()


class InstanceDetailSchema(InstanceSchema):
    tasks = fields.List(fields.Nested(TaskSchema))
    timers = fields.List(fields.Nested(TimerSchema))
    jobs = fields.List(fields.Nested(JobSchema))
    subscriptions = fields.List(fields.Nested(SubscriptionSchema))
    signal_subscriptions = fields.List(fields.Nested(SignalSubscriptionSchema))
    incidents = fields.List(fields.Nested(IncidentSchema))
    history = fields.List(fields.Nested(EventSchema))


class InstancePageSchema(Schema):
    items = fields.List(fields.Nested(InstanceSchema))
    next_cursor = fields.String(allow_none=True)


class MessageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    correlation_key = fields.String(
        required=True, allow_none=True, validate=validate.Length(max=200)
    )
    data = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)


class BpmnSignalSchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "De naam van het BPMN-signaal (bpmn:signal name)."},
    )
    data = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={
            "description": "Variabelen voor elke ontvanger; elk moet een veld zijn van de "
            "gegevenscatalogus van elk proces dat het signaal ontvangt."
        },
    )


class BroadcastSchema(Schema):
    name = fields.String()
    received = fields.List(
        fields.String(), metadata={"description": "Instanties die op het signaal wachtten."}
    )
    started = fields.List(
        fields.String(), metadata={"description": "Instanties die het signaal startte."}
    )
    refused = fields.List(
        fields.String(),
        metadata={
            "description": "Instanties die op het signaal wachtten maar te groot zijn "
            "geworden om het te ontvangen; elk kreeg een incident (state_limit)."
        },
    )


class CaseDataSchema(Schema):
    id = fields.String()
    phase = fields.String(allow_none=True)
    parties = fields.List(fields.String())
    data = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
