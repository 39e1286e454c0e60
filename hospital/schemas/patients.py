"""Schemas of a patient's clinical background: diagnoses with their source, allergies, the active
medication list, history."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from hospital.models.patients import AllergySeverity, DiagnosisSource, DiagnosisStatus


class VisitSchema(Schema):
    hospital_id = BoundedInt()
    hospital_name = fields.Str(attribute="hospital.name_zh")
    department_name = fields.Str(attribute="department.name_zh", allow_none=True)
    doctor_name = fields.Str()
    visited_on = fields.Date()
    kind = fields.Str()


class DiagnosisSchema(Schema):
    id = BoundedInt(dump_only=True)
    hospital_name = fields.Str(required=True, validate=validate.Length(max=100))
    diagnosis = fields.Str(required=True, validate=validate.Length(max=200))
    icd10 = fields.Str(required=True, metadata={"description": "ICD-10 code, e.g. I10 or E11.9"})
    diagnosed_on = fields.Date(
        required=True, metadata={"description": "Date of the in-person visit (not in the future, not before birth)"}
    )
    chronic = fields.Bool(dump_only=True)
    stable = fields.Bool(dump_only=True)
    status = fields.Str(dump_only=True, metadata={"enum": [s.value for s in DiagnosisStatus]})
    source = fields.Str(dump_only=True, metadata={"enum": [s.value for s in DiagnosisSource]})
    has_record = fields.Bool(dump_only=True, metadata={"description": "An in-person record image was uploaded"})
    rejected_reason = fields.Str(dump_only=True, metadata={"description": "Why a doctor did not confirm it"})
    decided_by = fields.Str(attribute="decided_by.name", dump_only=True, allow_none=True)
    decided_at = LocalDateTime(dump_only=True, allow_none=True)
    stable_by = fields.Str(attribute="stable_by.name", dump_only=True, allow_none=True)
    stable_at = LocalDateTime(dump_only=True, allow_none=True)
    visit = fields.Nested(VisitSchema, dump_only=True, allow_none=True)


class RecordUploadSchema(Schema):
    record = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class DiagnosisDecisionSchema(Schema):
    consultation_id = BoundedInt(required=True, metadata={"description": "The doctor's accepted consultation"})
    chronic = fields.Bool(load_default=None, allow_none=True, metadata={"description": "Confirm only"})


class DiagnosisRejectSchema(Schema):
    consultation_id = BoundedInt(required=True)
    reason = fields.Str(required=True, metadata={"description": "Shown to the patient"})


class StableSchema(Schema):
    consultation_id = BoundedInt(required=True)
    stable = fields.Bool(load_default=True)


class AllergyInSchema(Schema):
    allergen = fields.Str(required=True, metadata={"description": "An allergen group code, or free text"})
    reaction = fields.Str(load_default="", validate=validate.Length(max=200))
    severity = fields.Str(load_default="moderate", validate=validate.OneOf([s.value for s in AllergySeverity]))
    consultation_id = BoundedInt(
        load_default=None, allow_none=True, metadata={"description": "Required for a doctor: his accepted consultation"}
    )


class AllergyUpdateSchema(AllergyInSchema):
    active = fields.Bool(load_default=True, metadata={"description": "False withdraws a mistaken entry"})


class AllergySchema(Schema):
    id = BoundedInt()
    patient_id = BoundedInt()
    allergen = fields.Str()
    in_catalogue = fields.Bool()
    reaction = fields.Str()
    severity = fields.Str()
    source = fields.Str(metadata={"enum": ["patient_reported", "doctor_confirmed"]})
    active = fields.Bool()
    recorded_by = fields.Str(attribute="recorded_by.name", allow_none=True)
    updated_by = fields.Str(attribute="updated_by.name", allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class AllergenGroupSchema(Schema):
    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    cross_sensitive = fields.List(fields.Str())


class ActiveMedicationSchema(Schema):
    drug_code = fields.Str()
    name = fields.Str()
    strength = fields.Str()
    dose = fields.Float()
    dose_unit = fields.Str()
    frequency = fields.Str()
    days = BoundedInt()
    supply_from = fields.Date()
    supply_until = fields.Date(metadata={"description": "Last day the supply covers"})
    prescription_id = BoundedInt()
    prescription_code = fields.Str()
    doctor_name = fields.Str()


class HistorySchema(Schema):
    patient = fields.Dict()
    consultations = fields.List(fields.Dict())
    diagnoses = fields.List(fields.Dict())
    allergies = fields.List(fields.Dict())
    prescriptions = fields.List(fields.Dict(), metadata={"description": "Filled by the prescriptions area"})
    active_medications = fields.List(fields.Dict(), metadata={"description": "Drugs still in supply today"})
