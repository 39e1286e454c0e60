"""What the hospital knows of a patient: confirmed in-person diagnoses and allergies."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import Forbidden, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.patients import Allergy, ConfirmedDiagnosis

# ICD-10: a letter, two digits, optionally a dot and up to four more characters (I10, E11.9, J44.1).
ICD10_RE = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$")
CHILD_AGE = 6

# The formulary's allergen groups, as a person reads them (an allergy may also be free text).
ALLERGEN_LABELS = {
    "acei": _l("ACE inhibitors"),
    "allopurinol": _l("allopurinol"),
    "aspirin": _l("aspirin"),
    "azole_antifungal": _l("azole antifungals"),
    "benzodiazepine": _l("benzodiazepines"),
    "beta_lactam": _l("beta-lactam antibiotics"),
    "cephalosporin": _l("cephalosporins"),
    "dihydropyridine": _l("dihydropyridine calcium-channel blockers"),
    "iodine": _l("iodine"),
    "macrolide": _l("macrolides"),
    "nitroimidazole": _l("nitroimidazoles"),
    "nsaid": _l("NSAIDs (anti-inflammatory painkillers)"),
    "opioid": _l("opioids"),
    "paracetamol": _l("paracetamol"),
    "penicillin": _l("penicillins"),
    "quinolone": _l("quinolones"),
    "sulfonamide": _l("sulfonamides"),
    "sulfonylurea": _l("sulfonylureas"),
    "thionamide": _l("thionamides"),
    "xanthine": _l("xanthines (theophylline)"),
}


def allergen_label(allergen: str) -> str:
    """The readable name of an allergen group, or the text as the patient gave it."""
    return str(ALLERGEN_LABELS.get(allergen, allergen))


def age_years(user: User, on: date | None = None) -> int | None:
    """Age in full years from the birth date on the resident ID."""
    if user.birth_date is None:
        return None
    on = on or clock.today()
    born = user.birth_date
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def is_young_child(user: User) -> bool:
    """Children under 6 need a guardian recorded on an online consultation."""
    age = age_years(user)
    return age is not None and age < CHILD_AGE


def require_patient(user: User) -> User:
    """A real-name patient (the resident ID is checked and stored at registration)."""
    if user.role != Role.PATIENT:
        raise Forbidden("role_refused", _l("Only patients may do this."))
    if not user.id_number_hash:
        raise Forbidden("real_name_required", _l("Online consultations need a real-name patient account."))
    return user


def list_diagnoses(patient_id: int) -> list[ConfirmedDiagnosis]:
    query = (
        db.select(ConfirmedDiagnosis).filter_by(patient_id=patient_id).order_by(ConfirmedDiagnosis.diagnosed_on.desc())
    )
    return list(db.session.execute(query).scalars())


def my_diagnoses(patient: User) -> list[ConfirmedDiagnosis]:
    """The patient's own confirmed diagnoses (audited read)."""
    require_patient(patient)
    rows = list_diagnoses(patient.id)
    audit.record_read(patient.id, patient.id, "confirmed_diagnosis", None, count=len(rows))
    return rows


def _clean(value: str | None, field: str, message, max_len: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > max_len:
        raise ValidationFailed("required", message, field=field)
    return value


def add_diagnosis(
    patient: User,
    hospital_name: str,
    diagnosis: str,
    icd10: str,
    diagnosed_on: date | None,
    hospital_id: int | None = None,
) -> ConfirmedDiagnosis:
    """The patient records a diagnosis confirmed at an earlier in-person visit."""
    require_patient(patient)
    hospital_name = _clean(hospital_name, "hospital_name", _l("Enter the hospital of the in-person visit."), 100)
    diagnosis = _clean(diagnosis, "diagnosis", _l("Enter the confirmed diagnosis."), 200)
    icd10 = (icd10 or "").strip().upper()
    if not ICD10_RE.match(icd10):
        raise ValidationFailed("invalid_icd10", _l("Enter an ICD-10 code such as I10 or E11.9."), field="icd10")
    if diagnosed_on is None or diagnosed_on > clock.today():
        raise ValidationFailed(
            "invalid_date", _l("Enter the date of the in-person visit (not in the future)."), field="diagnosed_on"
        )
    row = ConfirmedDiagnosis(
        patient_id=patient.id,
        hospital_id=hospital_id,
        hospital_name=hospital_name,
        diagnosis=diagnosis,
        icd10=icd10,
        diagnosed_on=diagnosed_on,
        chronic=True,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(patient.id, patient.id, "create", "confirmed_diagnosis", row.id, icd10=icd10)
    db.session.commit()
    return row


def get_diagnosis_of(patient_id: int, diagnosis_id: int | None) -> ConfirmedDiagnosis | None:
    if not diagnosis_id:
        return None
    row = db.session.get(ConfirmedDiagnosis, diagnosis_id)
    return row if row is not None and row.patient_id == patient_id else None


def list_allergies(patient_id: int) -> list[Allergy]:
    return list(db.session.execute(db.select(Allergy).filter_by(patient_id=patient_id).order_by(Allergy.id)).scalars())
