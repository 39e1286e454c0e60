"""What the clinical pages show in one call: a patient's allergies, diagnoses and active
medications, for himself or for the doctor of a consultation."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import audit
from core.models import User
from hospital.models.consultations import Consultation
from hospital.models.patients import Allergy, ConfirmedDiagnosis
from hospital.services import clinical_access, consultation_access, formulary, medications, patients


@dataclass
class ClinicalRecord:
    patient: User
    allergies: list[Allergy]
    diagnoses: list[ConfirmedDiagnosis]
    medications: list[medications.ActiveMedication]
    allergen_groups: list = field(default_factory=list)
    consultation: Consultation | None = None


def _record(user: User, patient: User, consultation: Consultation | None = None) -> ClinicalRecord:
    record = ClinicalRecord(
        patient,
        patients.list_allergies(patient.id),
        patients.list_diagnoses(patient.id),
        medications.active_medications(patient.id),
        formulary.list_allergen_groups(),
        consultation,
    )
    audit.record_read(user.id, patient.id, "clinical_record", consultation.id if consultation else None)
    return record


def my_record(patient: User) -> ClinicalRecord:
    """The patient's own allergies, diagnoses (with their status) and medicines in supply."""
    patients.require_patient(patient)
    return _record(patient, patient)


def consultation_record(doctor_user: User, consultation_id: int) -> ClinicalRecord:
    """The record of the patient of a consultation the doctor can see (404 otherwise)."""
    consultation = consultation_access.get_consultation_for(doctor_user, consultation_id)
    clinical_access.require_reader(doctor_user, consultation.patient_id, "clinical_record")
    return _record(doctor_user, consultation.patient, consultation)
