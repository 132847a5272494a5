"""Marshmallow schemas of the task API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.engine.schemas import TaskSchema


class TaskQuerySchema(Schema):
    status = fields.String(
        load_default="open", validate=validate.OneOf(["open", "completed", "cancelled"])
    )
    candidate_group = fields.String()
    assignee = fields.String()
    process = fields.String()
    due_before = fields.AwareDateTime()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    cursor = fields.String()


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    next_cursor = fields.String(allow_none=True)


class ClaimSchema(Schema):
    user = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "Voor wie (gebruikersnaam): een actief lid van een groep van de "
            "taak. Alleen een teamleider van die groep of een token zonder organisatie."
        },
    )
    reason = fields.String(validate=validate.Length(max=2000))


class UnclaimSchema(Schema):
    reason = fields.String(validate=validate.Length(max=2000))


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
