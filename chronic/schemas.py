"""Schemas of the chronic-care API (readings, targets, alerts, doses, plans, labs, slots, bookings)."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime


class ReadingInSchema(Schema):
    kind = fields.Str(required=True, metadata={"description": "blood_pressure, glucose or weight"})
    measured_at = fields.AwareDateTime(
        load_default=None, metadata={"description": "ISO 8601 with offset; now if not given"}
    )
    systolic = fields.Float(load_default=None, metadata={"description": "mmHg (blood pressure)"})
    diastolic = fields.Float(load_default=None, metadata={"description": "mmHg (blood pressure)"})
    pulse = fields.Float(load_default=None, metadata={"description": "beats per minute (optional)"})
    value = fields.Float(load_default=None, metadata={"description": "glucose (mmol/L) or weight (kg)"})
    unit = fields.Str(load_default=None, metadata={"description": "mg/dL accepted for glucose"})
    context = fields.Str(load_default=None, metadata={"description": "glucose: fasting, after_meal or random"})


class ReadingSchema(Schema):
    id = BoundedInt()
    patient_id = BoundedInt()
    kind = fields.Str()
    context = fields.Str(allow_none=True)
    systolic = BoundedInt(allow_none=True)
    diastolic = BoundedInt(allow_none=True)
    pulse = BoundedInt(allow_none=True)
    value = fields.Float(allow_none=True)
    unit = fields.Str()
    measured_at = LocalDateTime()
    level = fields.Str(metadata={"description": "normal, low, high or urgent"})
    source = fields.Str()


class ReadingResultSchema(ReadingSchema):
    advice = fields.Str(metadata={"description": "What the patient should do now, in his language"})


class ReadingQuerySchema(Schema):
    days = BoundedInt(load_default=30, metadata={"description": "7, 30 or 90"})
    kind = fields.Str(load_default=None)


class CsvUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportResultSchema(Schema):
    imported = BoundedInt()
    skipped = BoundedInt()


class TargetsSchema(Schema):
    bp_systolic_target = BoundedInt()
    bp_diastolic_target = BoundedInt()
    bp_systolic_urgent = BoundedInt()
    bp_diastolic_urgent = BoundedInt()
    glucose_fasting_low = fields.Float()
    glucose_fasting_high = fields.Float()
    glucose_after_meal_high = fields.Float()
    glucose_urgent = fields.Float()
    glucose_urgent_low = fields.Float()
    customised = fields.Bool(dump_only=True)
    updated_at = LocalDateTime(dump_only=True, allow_none=True)


class AlertSchema(Schema):
    id = BoundedInt()
    patient_id = BoundedInt()
    patient_name = fields.Str(attribute="patient.name")
    department_id = BoundedInt(allow_none=True)
    reading_id = BoundedInt(allow_none=True)
    kind = fields.Str(metadata={"description": "urgent or trend"})
    reading_kind = fields.Str()
    summary = fields.Str()
    status = fields.Str()
    created_at = LocalDateTime()
    acknowledged_at = LocalDateTime(allow_none=True)


class DoseSchema(Schema):
    item_id = BoundedInt()
    prescription_id = BoundedInt()
    drug_code = fields.Str()
    name = fields.Str()
    strength = fields.Str()
    amount = fields.Str()
    scheduled_at = LocalDateTime()
    status = fields.Str(allow_none=True)


class DoseMarkSchema(Schema):
    item_id = BoundedInt(required=True)
    scheduled_at = fields.AwareDateTime(required=True)
    status = fields.Str(required=True, metadata={"description": "taken or skipped"})


class AdherenceSchema(Schema):
    days = BoundedInt()
    scheduled = BoundedInt()
    taken = BoundedInt()
    skipped = BoundedInt()
    missed = BoundedInt()
    percent = BoundedInt(allow_none=True)


class PlanItemInSchema(Schema):
    kind = fields.Str(required=True, metadata={"description": "blood_pressure, glucose, weight, visit, lab:HBA1C …"})
    interval_days = BoundedInt(required=True)
    first_due = fields.Date(load_default=None)


class PlanInSchema(Schema):
    items = fields.List(fields.Nested(PlanItemInSchema), required=True, validate=validate.Length(min=1, max=10))
    note = fields.Str(load_default="")


class PlanItemSchema(Schema):
    id = BoundedInt()
    kind = fields.Str()
    label = fields.Str()
    due_on = fields.Date()
    days = BoundedInt(metadata={"description": "days until due; negative when overdue"})
    overdue = fields.Bool()
    last_done_at = LocalDateTime(allow_none=True)
    last_done_by = fields.Str(allow_none=True)
    patient_id = BoundedInt()
    patient_name = fields.Str()


class PlanSchema(Schema):
    id = BoundedInt()
    patient_id = BoundedInt()
    department_id = BoundedInt()
    note = fields.Str()
    created_at = LocalDateTime()


class LabResultInSchema(Schema):
    code = fields.Str(required=True)
    value = fields.Float(required=True)
    taken_on = fields.Date(required=True)
    hospital_name = fields.Str(required=True)
    unit = fields.Str(load_default=None)
    ref_low = fields.Float(load_default=None)
    ref_high = fields.Float(load_default=None)


class LabResultSchema(Schema):
    id = BoundedInt()
    patient_id = BoundedInt()
    code = fields.Str()
    name = fields.Str()
    value = fields.Float()
    unit = fields.Str()
    ref_low = fields.Float(allow_none=True)
    ref_high = fields.Float(allow_none=True)
    flag = fields.Str(metadata={"description": "N, H or L"})
    hospital_name = fields.Str()
    taken_on = fields.Date()
    source = fields.Str(metadata={"description": "network, upload or order"})
    confirmed = fields.Bool()
    lab_order_id = BoundedInt(allow_none=True)


class LabQuerySchema(Schema):
    code = fields.Str(load_default=None)


class TrendQuerySchema(Schema):
    code = fields.Str(required=True)


class TrendPointSchema(Schema):
    t = fields.Str()
    v = fields.Float()
    flag = fields.Str()
    unit = fields.Str()


class CatalogueEntrySchema(Schema):
    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    unit = fields.Str()
    ref_low = fields.Float(allow_none=True)
    ref_high = fields.Float(allow_none=True)


class LabOrderInSchema(Schema):
    consultation_id = BoundedInt(required=True)
    tests = fields.List(fields.Str(), required=True)


class LabOrderSchema(Schema):
    id = BoundedInt()
    patient_id = BoundedInt()
    consultation_id = BoundedInt()
    doctor_user_id = BoundedInt()
    tests = fields.List(fields.Str())
    status = fields.Str()
    created_at = LocalDateTime()
    resulted_at = LocalDateTime(allow_none=True)


class LabOrderResultsSchema(Schema):
    results = fields.List(fields.Nested(LabResultInSchema), required=True, validate=validate.Length(min=1, max=20))


class SlotPublishSchema(Schema):
    department_id = BoundedInt(required=True)
    day = fields.Date(required=True)
    first = fields.Time(required=True, metadata={"description": "local start of the first slot, e.g. 08:00"})
    count = BoundedInt(load_default=1)
    capacity = BoundedInt(required=True)
    purpose = fields.Str(load_default="visit", metadata={"description": "visit or lab"})


class SlotQuerySchema(Schema):
    department_id = BoundedInt(required=True)
    purpose = fields.Str(load_default="visit")


class SlotSchema(Schema):
    id = BoundedInt()
    department_id = BoundedInt()
    purpose = fields.Str()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    capacity = BoundedInt()
    booked = BoundedInt()
    free = fields.Method("_free")

    def _free(self, slot) -> int:
        return max(slot.capacity - slot.booked, 0)


class DestinationSchema(Schema):
    department_id = BoundedInt(required=True)


class ReferralSchema(Schema):
    consultation_id = BoundedInt()
    department_id = BoundedInt()


class BookingInSchema(Schema):
    slot_id = BoundedInt(required=True)
    consultation_id = BoundedInt(load_default=None, metadata={"description": "the referred consultation"})
    lab_order_id = BoundedInt(load_default=None, metadata={"description": "tests ordered online"})
    department_id = BoundedInt(load_default=None, metadata={"description": "the laboratory (lab bookings)"})


class BookingSchema(Schema):
    id = BoundedInt()
    slot_id = BoundedInt()
    patient_id = BoundedInt()
    consultation_id = BoundedInt(allow_none=True)
    lab_order_id = BoundedInt(allow_none=True)
    code = fields.Str()
    status = fields.Str()
    starts_at = LocalDateTime(attribute="slot.starts_at")
    ends_at = LocalDateTime(attribute="slot.ends_at")
    department = fields.Str(attribute="slot.department.name_zh")
    hospital = fields.Str(attribute="slot.department.hospital.name_zh")
    created_at = LocalDateTime()


class BookingVerifySchema(Schema):
    code = fields.Str()
    status = fields.Str()
    starts_at = LocalDateTime()
    department = fields.Str()
    hospital = fields.Str()
