"""API of a patient's clinical background: diagnoses with a source (claim, upload the in-person
record, confirm / reject, stable), allergies, and the active medication list."""

from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint

from core.auth import require_user, roles_required
from core.models import Role
from hospital.schemas.patients import (
    ActiveMedicationSchema,
    AllergenGroupSchema,
    AllergyInSchema,
    AllergySchema,
    AllergyUpdateSchema,
    DiagnosisDecisionSchema,
    DiagnosisRejectSchema,
    DiagnosisSchema,
    RecordUploadSchema,
    StableSchema,
)
from hospital.services import allergies, diagnoses, formulary, medications, patients

blp = Blueprint("clinical", __name__, url_prefix="/api", description="Diagnoses, allergies, active medications")


@blp.get("/diagnoses")
@roles_required(Role.PATIENT)
@blp.response(200, DiagnosisSchema(many=True))
def my_diagnoses():
    """The patient's diagnoses: confirmed, claimed (waiting for a doctor) or rejected (with the reason)."""
    return patients.my_diagnoses(require_user())


@blp.post("/diagnoses")
@roles_required(Role.PATIENT)
@blp.arguments(DiagnosisSchema)
@blp.response(201, DiagnosisSchema)
def claim_diagnosis(data):
    """Claim a diagnosis from an in-person visit; it stays `claimed` until a doctor confirms it."""
    return patients.add_diagnosis(require_user(), **data)


@blp.post("/diagnoses/<int:diagnosis_id>/record")
@roles_required(Role.PATIENT)
@blp.arguments(RecordUploadSchema, location="files")
@blp.response(200, DiagnosisSchema)
def upload_record(files, diagnosis_id):
    """Upload the in-person record (门诊病历 / 出院小结: PNG, JPEG, WebP or PDF) of a claimed diagnosis."""
    return diagnoses.attach_record(require_user(), diagnosis_id, files["record"].read())


@blp.get("/diagnoses/<int:diagnosis_id>/record")
@blp.response(200, content_type="application/octet-stream")
def record_file(diagnosis_id):
    """The uploaded record, for the patient and his doctors (a doctor must open it before confirming)."""
    path, mime = diagnoses.record_file(require_user(), diagnosis_id)
    return send_file(path, mimetype=mime, max_age=0)


@blp.post("/diagnoses/<int:diagnosis_id>/confirm")
@roles_required(Role.DOCTOR)
@blp.arguments(DiagnosisDecisionSchema)
@blp.response(200, DiagnosisSchema)
def confirm_diagnosis(data, diagnosis_id):
    """Confirm a claimed diagnosis in an accepted consultation, after opening its record (audited)."""
    return diagnoses.confirm_diagnosis(require_user(), diagnosis_id, data["consultation_id"], data["chronic"])


@blp.post("/diagnoses/<int:diagnosis_id>/reject")
@roles_required(Role.DOCTOR)
@blp.arguments(DiagnosisRejectSchema)
@blp.response(200, DiagnosisSchema)
def reject_diagnosis(data, diagnosis_id):
    """Reject a claimed diagnosis with a reason the patient sees."""
    return diagnoses.reject_diagnosis(require_user(), diagnosis_id, data["consultation_id"], data["reason"])


@blp.post("/diagnoses/<int:diagnosis_id>/stable")
@roles_required(Role.DOCTOR)
@blp.arguments(StableSchema)
@blp.response(200, DiagnosisSchema)
def mark_stable(data, diagnosis_id):
    """Mark a confirmed chronic diagnosis stable (unlocks the 84-day limit) or not; audited."""
    return diagnoses.mark_stable(require_user(), diagnosis_id, data["consultation_id"], data["stable"])


@blp.get("/patients/<int:patient_id>/diagnoses")
@blp.response(200, DiagnosisSchema(many=True))
def patient_diagnoses(patient_id):
    """A patient's diagnoses, for him and his doctors (404 for anyone else)."""
    return diagnoses.diagnoses_for(require_user(), patient_id)


@blp.get("/patients/<int:patient_id>/allergies")
@blp.response(200, AllergySchema(many=True))
def patient_allergies(patient_id):
    """The patient's standing allergies, for him and his doctors."""
    return allergies.allergies_for(require_user(), patient_id)


@blp.post("/patients/<int:patient_id>/allergies")
@blp.arguments(AllergyInSchema)
@blp.response(201, AllergySchema)
def record_allergy(data, patient_id):
    """Record an allergy: the patient (patient-reported) or his doctor in an accepted consultation."""
    return allergies.record_allergy(require_user(), patient_id, allergies.AllergyInput(**data))


@blp.patch("/allergies/<int:allergy_id>")
@blp.arguments(AllergyUpdateSchema)
@blp.response(200, AllergySchema)
def update_allergy(data, allergy_id):
    """Change or withdraw an allergy; the audit log keeps before and after."""
    active = data.pop("active")
    return allergies.update_allergy(require_user(), allergy_id, allergies.AllergyInput(**data), active)


@blp.get("/patients/<int:patient_id>/medications")
@blp.response(200, ActiveMedicationSchema(many=True))
def active_medications(patient_id):
    """Every drug of the patient's prescriptions whose supply runs through today."""
    return medications.medications_for(require_user(), patient_id)


@blp.get("/allergen-groups")
@blp.response(200, AllergenGroupSchema(many=True))
def allergen_groups():
    """The catalogue's allergen groups, with the groups that cross-react."""
    require_user()
    return formulary.list_allergen_groups()
