"""Schemas of consultation calls (the kept record of voice and video sessions)."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from hospital.models.calls import CallMode


class CallStartSchema(Schema):
    mode = fields.Str(
        required=True,
        validate=validate.OneOf([m.value for m in CallMode]),
        metadata={"description": "voice or video; a doctor may upgrade a text consultation"},
    )


class CallEndSchema(Schema):
    reason = fields.Str(load_default="hangup", validate=validate.OneOf(["hangup", "dropped", "failed"]))


class CallSchema(Schema):
    id = BoundedInt()
    consultation_id = BoundedInt()
    mode = fields.Str()
    status = fields.Str(metadata={"description": "active or ended"})
    started_by_id = BoundedInt()
    started_at = LocalDateTime()
    ended_by_id = BoundedInt(allow_none=True)
    ended_at = LocalDateTime(allow_none=True)
    duration_seconds = BoundedInt(allow_none=True)
    end_reason = fields.Str(allow_none=True)
