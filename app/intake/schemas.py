"""Marshmallow schemas of the signal API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class SignalsInSchema(Schema):
    gemeente = fields.String(validate=validate.Length(min=1, max=100))
    signalen = fields.List(
        fields.Dict(
            keys=fields.String(validate=validate.Length(max=100)),
            values=fields.Raw(allow_none=True),
        ),
        required=True,
        validate=validate.Length(min=1, max=1000),
    )


class FieldErrorSchema(Schema):
    veld = fields.String()
    probleem = fields.String()


class SignalResultSchema(Schema):
    index = fields.Integer()
    status = fields.String()
    fouten = fields.List(fields.Nested(FieldErrorSchema))
    eerder_gemeld = fields.Boolean()


class SignalsOutSchema(Schema):
    resultaten = fields.List(fields.Nested(SignalResultSchema))
    opgeslagen = fields.Integer()
    afgewezen = fields.Integer()
    dubbel = fields.Integer()


class BatchSchema(Schema):
    batch = fields.Integer(attribute="id")
    bestand = fields.String(attribute="filename")
    rijen = fields.Integer(attribute="rows_total")
    opgeslagen = fields.Integer(attribute="rows_stored")
    dubbel = fields.Integer(attribute="rows_duplicate")
    afgewezen = fields.Integer(attribute="rows_rejected")
    bezwaar = fields.Integer(attribute="rows_objected")
    fouten = fields.List(fields.Dict(), attribute="errors")


class FileSchema(Schema):
    bestand = fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)


class FeedbackQuerySchema(Schema):
    periode = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    formaat = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


class FeedbackSchema(Schema):
    kolommen = fields.List(fields.String())
    labels = fields.List(fields.String())
    rijen = fields.List(fields.List(fields.Raw(allow_none=True)))
