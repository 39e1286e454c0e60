"""Schemas of the rota: shifts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.fields import BoundedInt
from core.schemas import LocalDateTime
from hospital.models.rota import ShiftKind


class ShiftSchema(Schema):
    id = BoundedInt(dump_only=True)
    doctor_id = BoundedInt(required=True)
    doctor_name = fields.Str(attribute="doctor.user.name", dump_only=True)
    department_id = BoundedInt(dump_only=True)
    department_name_zh = fields.Str(attribute="department.name_zh", dump_only=True)
    department_name_en = fields.Str(attribute="department.name_en", dump_only=True)
    day = fields.Date(required=True, metadata={"description": "Local calendar day the shift starts on"})
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in ShiftKind]))
    starts_at = LocalDateTime(dump_only=True)
    ends_at = LocalDateTime(dump_only=True)
    capacity = BoundedInt(load_default=None, metadata={"description": "Patients the doctor takes in this shift"})
    accepted = BoundedInt(dump_only=True, metadata={"description": "Patients taken so far"})


class ShiftUpdateSchema(Schema):
    capacity = BoundedInt(required=True)


class ShiftQuerySchema(Schema):
    department = BoundedInt(load_default=None, metadata={"description": "Department id"})
    doctor = BoundedInt(load_default=None, metadata={"description": "Doctor id"})
    start = fields.Date(load_default=None, data_key="from", metadata={"description": "First local day"})
    end = fields.Date(load_default=None, data_key="to", metadata={"description": "Last local day"})
    upcoming = fields.Bool(load_default=False, metadata={"description": "Only shifts not over yet"})
