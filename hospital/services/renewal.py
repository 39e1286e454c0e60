"""Renewal, the most common reason chronic patients come: one action opens a follow-up consultation
with a proposed copy; the doctor reviews, adjusts and signs it (every rule checked anew).

Also "my medicines": when each current medicine runs out, with a reminder a few days before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import MSG_NOT_FOUND, Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation
from hospital.models.consultations import ConsultationStatus as C
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import consultation_access, consultations, network, patients, prescriptions
from hospital.services import prescription_safety as safety

REMIND_DAYS_BEFORE = 5
RENEW_SOON_DAYS = 7  # fewer days left than this: the renew button stands out
RENEWABLE = (S.APPROVED, S.PAID, S.DISPENSED, S.EXPIRED)
TAKING = (S.PAID, S.DISPENSED, S.APPROVED)


def _renewable_of(patient: User, prescription_id: int) -> Prescription:
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.patient_id != patient.id or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status not in RENEWABLE:
        raise Conflict("not_renewable", _l("Only a prescription that a pharmacist approved can be renewed."))
    return rx


def open_renewal_of(patient_id: int, prescription_id: int) -> Consultation | None:
    """A renewal of this prescription that is still waiting or under way (so a second tap, or a
    tap on another medicine of the same prescription, leads to it instead of a duplicate)."""
    query = db.select(Consultation).where(
        Consultation.patient_id == patient_id,
        Consultation.renewal_of_prescription_id == prescription_id,
        Consultation.status.in_((C.WAITING, C.ACCEPTED)),
    )
    return db.session.execute(query.order_by(Consultation.id.desc()).limit(1)).scalar_one_or_none()


def request_renewal(patient: User, prescription_id: int, mode: str = "text", complaint: str = ""):
    """Open a follow-up consultation for the diagnosis this prescription was written for, in its
    department, with this prescription as the proposal; nothing to choose. A renewal already open
    for it is returned as it is."""
    rx = _renewable_of(patient, prescription_id)
    running = open_renewal_of(patient.id, rx.id)
    if running is not None:
        return running
    names = "、".join(i.name_zh for i in rx.items)
    text = (complaint or "").strip() or str(_l("Renewal of my medicine: %(names)s")) % {"names": names}
    consultation = consultations.start_consultation(
        patient.id, rx.department_id, rx.diagnosis_id, mode, text, renewal_of_prescription_id=rx.id
    )
    audit.record(patient.id, patient.id, "renew", "prescription", rx.id, consultation_id=consultation.id)
    db.session.commit()
    return consultation


def proposal_for(consultation) -> Prescription | None:
    """The prescription a renewal consultation proposes to copy (None for other consultations)."""
    if not consultation.renewal_of_prescription_id:
        return None
    rx = db.session.get(Prescription, consultation.renewal_of_prescription_id)
    return rx if rx is not None and rx.patient_id == consultation.patient_id else None


def draft_from_renewal(doctor_user: User, consultation_id: int) -> Prescription:
    """The doctor starts from the proposed copy: a new draft, all rules checked as for any other."""
    consultation = consultation_access.require_accepted_by(doctor_user, consultation_id)
    source = proposal_for(consultation)
    if source is None:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    draft = prescriptions.DraftInput(
        [safety.ItemInput(i.drug_code, i.dose, i.frequency, i.days, i.route, i.instructions) for i in source.items],
        source.long_prescription,
        source.long_reason,
        None,
        1,
        source.note,
    )
    return prescriptions.create_draft(doctor_user, consultation.id, draft, renewal_of_id=source.id)


@dataclass(frozen=True)
class Medicine:
    prescription_id: int
    name: str
    strength: str
    runs_out_on: date
    days_left: int
    remind: bool  # within a few days of running out: time to renew
    diagnosis: str = ""  # what the prescription was written for (the renewal's diagnosis)
    department: str = ""
    department_en: str = ""
    name_en: str = ""

    @property
    def renew_soon(self) -> bool:
        return self.days_left < RENEW_SOON_DAYS


def current_medicines(patient_id: int, today: date | None = None) -> list[Medicine]:
    """For each medicine of the patient's latest prescriptions: the day it runs out."""
    today = today or clock.today()
    query = (
        db.select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status.in_(TAKING))
        .order_by(Prescription.signed_at.desc())
    )
    seen: set[str] = set()
    medicines: list[Medicine] = []
    for rx in db.session.execute(query).scalars():
        if rx.status == S.APPROVED and rx.past_validity:
            continue
        start = clock.to_local(rx.dispensed_at or rx.paid_at or rx.signed_at).date()
        for item in rx.items:
            if item.drug_code in seen:
                continue
            seen.add(item.drug_code)
            runs_out = start + timedelta(days=item.days)
            left = (runs_out - today).days
            if left >= -7:
                medicines.append(_medicine(rx, item, runs_out, left))
    return sorted(medicines, key=lambda m: m.runs_out_on)


def _medicine(rx: Prescription, item, runs_out: date, left: int) -> Medicine:
    department = rx.department
    return Medicine(
        rx.id,
        item.name_zh,
        item.strength,
        runs_out,
        left,
        left <= REMIND_DAYS_BEFORE,
        rx.diagnosis_name,
        department.name_zh if department else "",
        department.name_en if department else "",
        item.name_en,
    )


def awaiting_payment(patient_id: int) -> list[Prescription]:
    """The patient's approved prescriptions not yet paid and still valid, soonest deadline first."""
    query = db.select(Prescription).where(Prescription.patient_id == patient_id, Prescription.status == S.APPROVED)
    rows = [rx for rx in db.session.execute(query).scalars() if not rx.past_validity]
    return sorted(rows, key=lambda rx: (rx.valid_until is None, rx.valid_until or clock.now()))


def home_context(user: User) -> dict:
    """The patient's home section: his medicines (the read is audited)."""
    medicines = current_medicines(user.id)
    audit.record_read(user.id, user.id, "medicines")
    return {"medicines": medicines}


def pay_context(user: User) -> dict:
    """The home banner: prescriptions approved and waiting for the patient's payment."""
    return {"to_pay": awaiting_payment(user.id)}


# --- the general request form: the diagnosis first, the department follows from it ----------


def _latest_department(patient_id: int, diagnosis_id: int) -> int | None:
    query = (
        db.select(Prescription.department_id)
        .where(Prescription.patient_id == patient_id, Prescription.diagnosis_id == diagnosis_id)
        .where(Prescription.status != S.DRAFT)
        .order_by(Prescription.id.desc())
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def department_for(patient_id: int, diagnosis_id: int | None, icd10: str | None, departments) -> int | None:
    """The department that follows up a diagnosis: the one that wrote the patient's latest
    prescription for it, else the usual department for its ICD-10 code."""
    online = {d.id for d in departments}
    latest = _latest_department(patient_id, diagnosis_id) if diagnosis_id else None
    if latest in online:
        return latest
    usual = network.suggested_department(icd10 or "", departments)
    return usual.id if usual else None


def departments_by_diagnosis(patient: User) -> tuple[list, list, dict[int, int]]:
    """The request form's choices: online departments, the patient's diagnoses, and for each
    diagnosis the department picked for it."""
    departments, diagnoses = network.online_departments(), patients.my_diagnoses(patient)
    picked = {d.id: department_for(patient.id, d.id, d.icd10, departments) for d in diagnoses}
    return departments, diagnoses, {k: v for k, v in picked.items() if v}


def with_department(patient: User, data: dict) -> dict:
    """The request with its department picked from the diagnosis when the patient chose none."""
    if data.get("department_id"):
        return data
    diagnosis = patients.get_diagnosis_of(patient.id, data.get("diagnosis_id"))
    icd10 = diagnosis.icd10 if diagnosis else (data.get("new_diagnosis") or {}).get("icd10")
    if diagnosis is None and not icd10:
        return data  # the service says what is missing: the diagnosis
    department_id = department_for(patient.id, diagnosis.id if diagnosis else None, icd10, network.online_departments())
    if department_id is None:
        raise ValidationFailed(
            "department_required", _l("No department follows this diagnosis online: choose one."), field="department_id"
        )
    return {**data, "department_id": department_id}
