"""Schemas of the dashboard's API: the period asked for and the figures answered."""

from __future__ import annotations

from marshmallow import fields

from core.fields import BoundedInt
from core.schema import Schema


class PeriodQuerySchema(Schema):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "First local day (default today)"})
    to = fields.Date(load_default=None, metadata={"description": "Last local day (default: the first)"})


class SpreadSchema(Schema):
    count = BoundedInt()
    p50 = fields.Float(allow_none=True, metadata={"description": "Median, minutes (nearest rank)"})
    p90 = fields.Float(allow_none=True, metadata={"description": "90th percentile, minutes (nearest rank)"})


class DepartmentCountSchema(Schema):
    department_id = BoundedInt()
    department_zh = fields.Str()
    department_en = fields.Str()
    hospital_zh = fields.Str()
    hospital_en = fields.Str()
    count = BoundedInt()


class DutyPointSchema(Schema):
    at = fields.Str(metadata={"description": "The hour (ISO 8601, local offset)"})
    on_duty = BoundedInt(metadata={"description": "Doctors on a shift"})
    waiting = BoundedInt(metadata={"description": "Patients waiting for a doctor"})


class PrescriptionFiguresSchema(Schema):
    signed = BoundedInt()
    reviewed = BoundedInt()
    approved = BoundedInt()
    rejected = BoundedInt()
    waiting = BoundedInt()
    review_minutes = fields.Nested(SpreadSchema)


class OrderFiguresSchema(Schema):
    placed = BoundedInt()
    by_status = fields.Dict(keys=fields.Str(), values=BoundedInt())
    settled = BoundedInt()
    refunded = BoundedInt()
    total_fen = BoundedInt()
    fund_fen = BoundedInt()
    account_fen = BoundedInt()
    cash_fen = BoundedInt()
    fund_share = fields.Float(allow_none=True, metadata={"description": "Fund payment / total settled"})


class DeliveryFiguresSchema(SpreadSchema):
    failed = BoundedInt()


class FiguresSchema(Schema):
    first = fields.Date()
    last = fields.Date()
    consultations_by_department = fields.List(fields.Nested(DepartmentCountSchema))
    consultations_by_hour = fields.List(BoundedInt(), metadata={"description": "24 counts, local hours 0-23"})
    waiting_minutes = fields.Nested(SpreadSchema)
    duty_against_queue = fields.List(fields.Nested(DutyPointSchema))
    prescriptions = fields.Nested(PrescriptionFiguresSchema)
    orders = fields.Nested(OrderFiguresSchema)
    delivery_minutes = fields.Nested(DeliveryFiguresSchema)
