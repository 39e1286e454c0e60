"""What the hospital knows of a patient: real-name checks, age, and his diagnoses as he claims them."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import Forbidden, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.patients import Allergy, ConfirmedDiagnosis, DiagnosisSource, DiagnosisStatus

# ICD-10: a letter, two digits, optionally a dot and up to four more characters (I10, E11.9, J44.1).
ICD10_RE = re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$")
CHILD_AGE = 6
EARLIEST_DIAGNOSIS = date(1900, 1, 1)  # when the birth date is unknown

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
    """Every diagnosis of the patient (confirmed, claimed or rejected), newest first."""
    query = (
        db.select(ConfirmedDiagnosis)
        .filter_by(patient_id=patient_id)
        .order_by(ConfirmedDiagnosis.diagnosed_on.desc(), ConfirmedDiagnosis.id.desc())
    )
    return list(db.session.execute(query).scalars())


def confirmed_diagnoses(patient_id: int) -> list[ConfirmedDiagnosis]:
    return [d for d in list_diagnoses(patient_id) if d.status == DiagnosisStatus.CONFIRMED]


def my_diagnoses(patient: User) -> list[ConfirmedDiagnosis]:
    """The patient's own diagnoses, with their status and any rejection reason (audited read)."""
    require_patient(patient)
    rows = list_diagnoses(patient.id)
    audit.record_read(patient.id, patient.id, "diagnosis", None, count=len(rows))
    return rows


def _clean(value: str | None, field: str, message, max_len: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > max_len:
        raise ValidationFailed("required", message, field=field)
    return value


def check_diagnosis_date(patient: User, diagnosed_on: date | None) -> date:
    """Not in the future, not before the patient was born."""
    if diagnosed_on is None or diagnosed_on > clock.today():
        raise ValidationFailed(
            "invalid_date", _l("Enter the date of the in-person visit (not in the future)."), field="diagnosed_on"
        )
    if diagnosed_on < (patient.birth_date or EARLIEST_DIAGNOSIS):
        raise ValidationFailed(
            "date_before_birth", _l("The in-person visit cannot be before the patient was born."), field="diagnosed_on"
        )
    return diagnosed_on


def check_icd10(icd10: str | None) -> str:
    icd10 = (icd10 or "").strip().upper()
    if not ICD10_RE.match(icd10):
        raise ValidationFailed("invalid_icd10", _l("Enter an ICD-10 code such as I10 or E11.9."), field="icd10")
    return icd10


def add_diagnosis(
    patient: User,
    hospital_name: str,
    diagnosis: str,
    icd10: str,
    diagnosed_on: date | None,
    hospital_id: int | None = None,
) -> ConfirmedDiagnosis:
    """The patient claims a diagnosis from an earlier in-person visit: it stays *claimed* until a
    doctor who has seen the in-person record confirms it (commits)."""
    require_patient(patient)
    row = ConfirmedDiagnosis(
        patient_id=patient.id,
        hospital_id=hospital_id,
        hospital_name=_clean(hospital_name, "hospital_name", _l("Enter the hospital of the in-person visit."), 100),
        diagnosis=_clean(diagnosis, "diagnosis", _l("Enter the diagnosis."), 200),
        icd10=check_icd10(icd10),
        diagnosed_on=check_diagnosis_date(patient, diagnosed_on),
        chronic=True,
        status=DiagnosisStatus.CLAIMED,
        source=DiagnosisSource.PATIENT_CLAIM,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(patient.id, patient.id, "claim", "diagnosis", row.id, icd10=row.icd10)
    db.session.commit()
    return row


def get_diagnosis_of(patient_id: int, diagnosis_id: int | None) -> ConfirmedDiagnosis | None:
    """A diagnosis of the patient that may open a follow-up: confirmed, or claimed and waiting for
    a doctor to confirm it in that consultation. A rejected one opens nothing."""
    if not diagnosis_id:
        return None
    row = db.session.get(ConfirmedDiagnosis, diagnosis_id)
    if row is None or row.patient_id != patient_id or row.status == DiagnosisStatus.REJECTED:
        return None
    return row


def list_allergies(patient_id: int) -> list[Allergy]:
    """The patient's recorded allergies that still stand (withdrawn ones stay in the database)."""
    query = db.select(Allergy).filter_by(patient_id=patient_id, active=True).order_by(Allergy.id)
    return list(db.session.execute(query).scalars())
