"""Schemas of the doctor's shift desk: the queue with ages and waiting times, the patient column,
and the inline prescription with the source it copies."""

from __future__ import annotations

from marshmallow import fields

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from hospital.schemas.consultations import ConsultationSchema, QueueSchema, RecordSchema
from hospital.schemas.patients import ActiveMedicationSchema, AllergySchema, DiagnosisSchema
from hospital.schemas.prescriptions import PrescriptionSchema, RxDraftSchema
from hospital.services.patients import allergen_label


class QueueEntrySchema(Schema):
    id = BoundedInt(attribute="consultation.id")
    patient_name = fields.Str(attribute="consultation.patient.name")
    age = BoundedInt(allow_none=True)
    sex = fields.Str(allow_none=True, metadata={"enum": ["M", "F"]})
    mode = fields.Str(attribute="consultation.mode", metadata={"enum": ["text", "voice", "video"]})
    renewal = fields.Bool(metadata={"description": "A renewal of an earlier prescription, else a new problem"})
    complaint = fields.Str(attribute="consultation.complaint")
    diagnosis = fields.Str(attribute="consultation.diagnosis.diagnosis")
    icd10 = fields.Str(attribute="consultation.diagnosis.icd10")
    waiting_since = LocalDateTime(attribute="consultation.created_at")


class ShiftQueueSchema(QueueSchema):
    """The same queue as /api/consultations/queue, each waiting patient with his age and waiting time."""

    waiting = fields.List(fields.Nested(QueueEntrySchema), metadata={"description": "Longest waiting first"})


class DeskPatientSchema(Schema):
    id = BoundedInt()
    name = fields.Str()
    sex = fields.Str(allow_none=True)


class DeskAllergySchema(AllergySchema):
    label = fields.Function(lambda allergy: allergen_label(allergy.allergen), metadata={"description": "Readable"})


class DeskSchema(Schema):
    """The patient column of one consultation."""

    consultation = fields.Nested(ConsultationSchema)
    patient = fields.Nested(DeskPatientSchema, attribute="record.patient")
    age = BoundedInt(allow_none=True)
    allergies = fields.List(fields.Nested(DeskAllergySchema), attribute="record.allergies")
    diagnoses = fields.List(fields.Nested(DiagnosisSchema), attribute="record.diagnoses")
    medications = fields.List(fields.Nested(ActiveMedicationSchema), attribute="record.medications")
    medical_record = fields.Nested(RecordSchema, allow_none=True)
    proposal = fields.Nested(PrescriptionSchema, allow_none=True, metadata={"description": "What a renewal copies"})
    last = fields.Nested(PrescriptionSchema, allow_none=True, metadata={"description": "The last prescription"})
    draft = fields.Nested(PrescriptionSchema, allow_none=True, metadata={"description": "His unsigned draft here"})
    written = fields.List(fields.Nested(PrescriptionSchema), metadata={"description": "Signed here already"})
    preset_days = BoundedInt(metadata={"description": "28 for a stable chronic diagnosis, else 7"})
    long_reason = fields.Str(metadata={"description": "The long prescription's reason, for a stable one"})
    default_advice = fields.Str()


class DeskDraftSchema(RxDraftSchema):
    """The inline prescription: a new draft (copying `source_id`) or a change of `prescription_id`."""

    source_id = BoundedInt(
        load_default=None, allow_none=True, metadata={"description": "The prescription a copy renews"}
    )
    prescription_id = BoundedInt(load_default=None, allow_none=True, metadata={"description": "His draft"})
