"""Schemas of the rota: shifts."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
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


class MyShiftSchema(ShiftSchema):
    """A doctor's own shift, with the hospital of its department (he may work for several)."""

    hospital_name_zh = fields.Str(attribute="department.hospital.name_zh", dump_only=True)
    hospital_name_en = fields.Str(attribute="department.hospital.name_en", dump_only=True)
    closed = fields.Function(lambda shift: shift.closed_at is not None, dump_only=True)


class MyShiftQuerySchema(Schema):
    # Bounded so that no date arithmetic overflows; the service bounds the span (at most 62 days).
    start = fields.Date(
        load_default=None,
        data_key="from",
        validate=validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31)),
        metadata={"description": "First local day (default: Monday of this week)"},
    )
    end = fields.Date(
        load_default=None,
        data_key="to",
        validate=validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31)),
        metadata={"description": "Last local day (default: 13 days after `from`)"},
    )
