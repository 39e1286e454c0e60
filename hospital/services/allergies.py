"""Allergies recorded by the patient and by his doctors: an allergen group of the catalogue (or a
free text), the reaction, its severity, the source, who recorded it and when. Editable; every
change keeps the before and after in the audit log, and nothing is deleted (a mistaken entry is
withdrawn)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import MSG_NOT_FOUND, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.patients import Allergy, AllergySeverity, AllergySource
from hospital.services import clinical_access, consultations, formulary, patients

FIELDS = ("allergen", "reaction", "severity", "active")


@dataclass(frozen=True)
class AllergyInput:
    allergen: str
    reaction: str = ""
    severity: str = AllergySeverity.MODERATE
    consultation_id: int | None = None  # a doctor records in one of his accepted consultations


def _snapshot(row: Allergy) -> dict:
    return {name: getattr(row, name) for name in FIELDS} | {"source": row.source}


def _clean_allergen(value: str) -> tuple[str, bool]:
    """A catalogue group code (case-insensitive), or free text for an allergen outside the groups."""
    text = (value or "").strip()
    if not text or len(text) > 60:
        raise ValidationFailed("allergen_required", _l("Choose or type the allergen."), field="allergen")
    code = text.lower()
    return (code, True) if code in formulary.allergen_group_codes() else (text, False)


def _clean_severity(value: str) -> str:
    if value not in list(AllergySeverity):
        raise ValidationFailed(
            "invalid_severity", _l("Choose mild, moderate, severe or anaphylaxis."), field="severity"
        )
    return value


def _require_writer(user: User, patient_id: int, consultation_id: int | None) -> str:
    """The patient himself (patient-reported) or a doctor in an accepted consultation with him
    (doctor-confirmed); anyone else gets a 404, audited."""
    if user.role == Role.PATIENT and user.id == patient_id:
        return AllergySource.PATIENT_REPORTED
    if user.role == Role.DOCTOR and consultation_id:
        clinical_access.require_treating_doctor(user, consultation_id, patient_id)
        return AllergySource.DOCTOR_CONFIRMED
    raise clinical_access.refused(user, patient_id, "allergy")


def allergies_for(user: User, patient_id: int) -> list[Allergy]:
    """The patient's standing allergies for him or his doctors (audited read)."""
    clinical_access.require_reader(user, patient_id, "allergy")
    rows = patients.list_allergies(patient_id)
    audit.record_read(user.id, patient_id, "allergy", None, count=len(rows))
    return rows


def record_allergy(user: User, patient_id: int, data: AllergyInput) -> Allergy:
    """Record an allergy (commits; audited with what was recorded)."""
    source = _require_writer(user, patient_id, data.consultation_id)
    allergen, in_catalogue = _clean_allergen(data.allergen)
    row = Allergy(
        patient_id=patient_id,
        allergen=allergen,
        in_catalogue=in_catalogue,
        reaction=(data.reaction or "").strip()[:200],
        severity=_clean_severity(data.severity),
        source=source,
        recorded_by_user_id=user.id,
        updated_by_user_id=user.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(user.id, patient_id, "create", "allergy", row.id, after=_snapshot(row))
    db.session.commit()
    return row


def record_in_consultation(doctor_user: User, data: AllergyInput) -> Allergy:
    """A doctor records an allergy of the patient of his accepted consultation (doctor-confirmed)."""
    consultation = consultations.require_accepted_by(doctor_user, data.consultation_id or 0)
    return record_allergy(doctor_user, consultation.patient_id, data)


def update_allergy(user: User, allergy_id: int, data: AllergyInput, active: bool = True) -> Allergy:
    """Change an allergy (or withdraw it with active=False); the audit log keeps before and after.
    A doctor's change makes it doctor-confirmed."""
    row = db.session.get(Allergy, allergy_id)
    if row is None:
        raise NotFound("allergy_not_found", MSG_NOT_FOUND)
    source = _require_writer(user, row.patient_id, data.consultation_id)
    before = _snapshot(row)
    row.allergen, row.in_catalogue = _clean_allergen(data.allergen)
    row.reaction, row.severity = (data.reaction or "").strip()[:200], _clean_severity(data.severity)
    row.active = active
    if source == AllergySource.DOCTOR_CONFIRMED:
        row.source = source
    row.updated_by_user_id, row.updated_at = user.id, clock.now()
    audit.record(user.id, row.patient_id, "update", "allergy", row.id, before=before, after=_snapshot(row))
    db.session.commit()
    return row


def allergen_label(allergy: Allergy) -> str:
    return patients.allergen_label(allergy.allergen)
