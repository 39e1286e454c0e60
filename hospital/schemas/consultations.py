"""Schemas of consultations, their messages and medical records."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from hospital.models.consultations import ConsultationMode, ConsultationStatus
from hospital.schemas.patients import DiagnosisSchema
from hospital.schemas.rota import ShiftSchema


class GuardianSchema(Schema):
    name = fields.Str(load_default="")
    relation = fields.Str(load_default="", metadata={"description": "e.g. mother, father"})
    phone = fields.Str(load_default="")


class ConsultationCreateSchema(Schema):
    department_id = BoundedInt(required=True)
    diagnosis_id = BoundedInt(load_default=None, metadata={"description": "A confirmed in-person diagnosis"})
    new_diagnosis = fields.Nested(DiagnosisSchema, load_default=None, metadata={"description": "Or add one"})
    mode = fields.Str(load_default="text", validate=validate.OneOf([m.value for m in ConsultationMode]))
    complaint = fields.Str(required=True)
    doctor_id = BoundedInt(load_default=None, metadata={"description": "A chosen doctor (else the department)"})
    guardian = fields.Nested(GuardianSchema, load_default=None, metadata={"description": "Required under 6"})
    renewal_of_prescription_id = BoundedInt(load_default=None)


class RecordSchema(Schema):
    chief_complaint = fields.Str(load_default=None)
    history = fields.Str(load_default=None)
    diagnosis = fields.Str(load_default=None)
    icd10 = fields.Str(load_default=None)
    advice = fields.Str(load_default=None)
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)


class ConsultationSchema(Schema):
    id = BoundedInt(dump_only=True)
    patient_id = BoundedInt()
    patient_name = fields.Str(attribute="patient.name")
    department_id = BoundedInt()
    department_name_zh = fields.Str(attribute="department.name_zh")
    department_name_en = fields.Str(attribute="department.name_en")
    doctor_id = BoundedInt(allow_none=True)
    doctor_name = fields.Method("_doctor_name")
    diagnosis = fields.Nested(DiagnosisSchema)
    mode = fields.Str()
    status = fields.Str(metadata={"enum": [s.value for s in ConsultationStatus]})
    complaint = fields.Str()
    guardian_name = fields.Str(allow_none=True)
    guardian_relation = fields.Str(allow_none=True)
    renewal_of_prescription_id = BoundedInt(allow_none=True)
    created_at = LocalDateTime()
    expires_at = LocalDateTime(allow_none=True)
    accepted_at = LocalDateTime(allow_none=True)
    ended_at = LocalDateTime(allow_none=True)
    end_reason = fields.Str(allow_none=True)
    kept_by_doctor = fields.Bool()
    last_seq = BoundedInt()

    def _doctor_name(self, obj):
        return obj.doctor.user.name if obj.doctor else None


class ConsultationQuerySchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf([s.value for s in ConsultationStatus]))


class QueueSchema(Schema):
    """A doctor's queue: his shift now, the patients he may accept and his open consultations."""

    shift = fields.Nested(ShiftSchema, allow_none=True)
    next_shifts = fields.List(fields.Nested(ShiftSchema))
    department_id = BoundedInt(attribute="doctor.department_id")
    waiting = fields.List(fields.Nested(ConsultationSchema), metadata={"description": "Longest waiting first"})
    accepted = fields.List(fields.Nested(ConsultationSchema), metadata={"description": "His open consultations"})


class CancelSchema(Schema):
    reason = fields.Str(load_default="")


class ReferSchema(RecordSchema):
    reason = fields.Str(required=True, metadata={"description": "Why an in-person visit is needed"})


class HandoverSchema(Schema):
    keep = fields.Bool(load_default=False, metadata={"description": "Keep it past the shift end"})
    to_doctor_id = BoundedInt(load_default=None, metadata={"description": "A colleague (else the next shift's)"})
    note = fields.Str(load_default="")


class MessageSchema(Schema):
    id = BoundedInt(dump_only=True)
    consultation_id = BoundedInt(dump_only=True)
    seq = BoundedInt(dump_only=True, metadata={"description": "Monotonic per consultation"})
    sender_id = BoundedInt(dump_only=True, allow_none=True)
    sender_name = fields.Str(dump_only=True, allow_none=True)
    kind = fields.Str(dump_only=True, metadata={"enum": ["text", "image", "system"]})
    text = fields.Str(required=True)
    client_id = fields.Str(load_default=None, metadata={"description": "Client-generated id; resends dedupe"})
    attachment_url = fields.Str(dump_only=True, allow_none=True)
    created_at = fields.Str(dump_only=True)


class MessageQuerySchema(Schema):
    since = BoundedInt(load_default=0, metadata={"description": "Return messages with seq greater than this"})


class ImageUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImageFormSchema(Schema):
    client_id = fields.Str(load_default=None)


class ReadSchema(Schema):
    seq = BoundedInt(required=True)
    user_id = BoundedInt(dump_only=True)
    consultation_id = BoundedInt(dump_only=True)


class SweepResultSchema(Schema):
    expired = BoundedInt()
    handed_over = BoundedInt()
    kept = BoundedInt()
