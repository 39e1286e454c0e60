"""Schemas of quick replies (常用语)."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from hospital.models.quick_replies import MAX_PER_DOCTOR, MAX_TEXT


class QuickReplySchema(Schema):
    id = BoundedInt(dump_only=True)
    position = BoundedInt(dump_only=True, metadata={"description": "0 first; Alt+1 inserts the first"})
    text = fields.Str(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class QuickReplyOrderSchema(Schema):
    ids = fields.List(
        BoundedInt(),
        required=True,
        validate=validate.Length(max=MAX_PER_DOCTOR),
        metadata={"description": "Every one of the doctor's quick reply ids, once each, in the new order"},
    )
