"""What each report says (docs/regulator.md lists the fields and where they come from).

Each builder reads the record as it stands at the commit of the change it reports and returns
the `data` of the platform's envelope: plain JSON, times in ISO 8601 with offset, codes as the
platform expects (ICD-10, text/voice/video). The patient is sent pseudonymised (keyed hash and
masked resident ID), see the docs for why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chronic.models import Booking
from core import clock
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation, MedicalRecord
from hospital.models.network import Department, Doctor
from hospital.models.prescriptions import Prescription

TITLES = {"chief": "主任医师", "associate_chief": "副主任医师", "attending": "主治医师", "resident": "住院医师"}
FREQUENCIES = {"qd": "每日一次", "bid": "每日两次", "tid": "每日三次", "qid": "每日四次", "qn": "每晚一次"}


def iso(value: datetime | None) -> str | None:
    """A stored UTC time in local time with its offset (what the platform asks for)."""
    return clock.to_local(value).isoformat(timespec="seconds") if value else None


def _patient(user: User) -> dict:
    return {
        "patient_id_hash": user.id_number_hash or f"user-{user.id}",
        "patient_id_masked": user.id_number_masked or "",
        "patient_sex": {"M": "1", "F": "2"}.get(user.sex or "", "0"),  # GB/T 2261.1: 1 male, 2 female, 0 unknown
        "patient_birth_date": user.birth_date.isoformat() if user.birth_date else "",
    }


def _doctor(doctor: Doctor | None) -> dict:
    if doctor is None:
        return {"doctor_name": "", "doctor_license_no": "", "doctor_title": ""}
    return {
        "doctor_name": doctor.user.name,
        "doctor_license_no": doctor.license_no,
        "doctor_title": TITLES.get(doctor.title, doctor.title),
        "hospital_code": doctor.hospital.code,
        "hospital_name": doctor.hospital.name_zh,
        "department_code": doctor.department.code,
        "department_name": doctor.department.name_zh,
    }


def consultation_no(consultation_id: int) -> str:
    return f"C{consultation_id:010d}"


def _diagnosis(consultation: Consultation) -> dict:
    """The record's diagnosis when the doctor wrote one, else the confirmed one the visit follows."""
    record = db.session.execute(
        db.select(MedicalRecord).filter_by(consultation_id=consultation.id)
    ).scalar_one_or_none()
    if record is not None and record.icd10:
        return {"diagnosis_icd10": record.icd10, "diagnosis_name": record.diagnosis}
    return {"diagnosis_icd10": consultation.diagnosis.icd10, "diagnosis_name": consultation.diagnosis.diagnosis}


def _consultation_common(consultation: Consultation) -> dict:
    department = consultation.department
    return {
        "consultation_no": consultation_no(consultation.id),
        "hospital_code": department.hospital.code,
        "hospital_name": department.hospital.name_zh,
        "department_code": department.code,
        "department_name": department.name_zh,
        **_doctor(consultation.doctor),
        "mode": consultation.mode,
        "visit_type": "follow_up",  # 复诊: online visits are follow-ups only
        "started_at": iso(consultation.accepted_at),
        "in_person_diagnosis_icd10": consultation.diagnosis.icd10,
        "in_person_hospital": consultation.diagnosis.hospital_name,
        "in_person_diagnosed_on": consultation.diagnosis.diagnosed_on.isoformat(),
        **_diagnosis(consultation),
    }


def consultation_start(consultation_id: int) -> dict:
    consultation = db.session.get(Consultation, consultation_id)
    return {
        **_consultation_common(consultation),
        **_patient(consultation.patient),
        "requested_at": iso(consultation.created_at),
        "guardian_present": bool(consultation.guardian_name),
    }


def consultation_end(consultation_id: int) -> dict:
    consultation = db.session.get(Consultation, consultation_id)
    prescriptions = db.session.execute(
        db.select(Prescription.id).filter_by(consultation_id=consultation.id).where(Prescription.signed_at.is_not(None))
    ).scalars()
    return {
        **_consultation_common(consultation),
        **_patient(consultation.patient),
        "ended_at": iso(consultation.ended_at),
        "outcome": consultation.status,  # completed | referred
        "prescription_nos": [prescription_no(i) for i in prescriptions],
    }


def referral(consultation_id: int) -> dict:
    consultation = db.session.get(Consultation, consultation_id)
    return {
        **_consultation_common(consultation),
        **_patient(consultation.patient),
        "referred_at": iso(consultation.ended_at),
        "reason": consultation.end_reason or "",
        "to_hospital_code": consultation.department.hospital.code,
        "to_department": consultation.department.name_zh,
    }


def prescription_no(prescription_id: int) -> str:
    rx = db.session.get(Prescription, prescription_id)
    return rx.code if rx is not None else f"P{prescription_id:010d}"


def _items(rx: Prescription) -> list[dict]:
    return [
        {
            "drug_code": item.drug_code,
            "drug_name": item.name_zh,
            "strength": item.strength,
            "dose": item.dose,
            "dose_unit": item.dose_unit,
            "frequency": FREQUENCIES.get(item.frequency, item.frequency),
            "route": item.route,
            "days": item.days,
            "quantity": item.quantity,
            "package_unit": item.package_unit_zh,
        }
        for item in rx.items
    ]


def _prescription_common(rx: Prescription) -> dict:
    return {"prescription_no": rx.code, "consultation_no": consultation_no(rx.consultation_id)}


def prescription_signed(prescription_id: int) -> dict:
    rx = db.session.get(Prescription, prescription_id)
    return {
        **_prescription_common(rx),
        **_doctor(db.session.get(Doctor, rx.doctor_id)),
        **_patient(rx.patient),
        "signed_at": iso(rx.signed_at),
        "valid_until": iso(rx.valid_until),
        "diagnosis_icd10": rx.icd10,
        "diagnosis_name": rx.diagnosis_name,
        "long_prescription": rx.long_prescription,
        "long_reason": rx.long_reason,
        "override_code": rx.override_code,
        "items": _items(rx),
        "signature": "Ed25519",
    }


def prescription_reviewed(prescription_id: int) -> dict:
    rx = db.session.get(Prescription, prescription_id)
    return {
        **_prescription_common(rx),
        "hospital_code": rx.hospital.code,
        "pharmacist_name": rx.reviewer.name if rx.reviewer else "",
        "reviewed_at": iso(rx.reviewed_at),
        "decision": "approved" if rx.status != "rejected" else "rejected",
        "reject_reason": rx.reject_reason,
    }


def prescription_dispensed(prescription_id: int) -> dict:
    rx = db.session.get(Prescription, prescription_id)
    return {
        **_prescription_common(rx),
        "hospital_code": rx.hospital.code,
        "dispensed_at": iso(rx.dispensed_at),
        "order_ref": rx.order_ref or "",
    }


def referral_booking(booking_id: int) -> dict:
    booking = db.session.get(Booking, booking_id)
    department: Department = booking.slot.department
    return {
        "booking_no": booking.code,
        "consultation_no": consultation_no(booking.consultation_id),
        "to_hospital_code": department.hospital.code,
        "to_hospital_name": department.hospital.name_zh,
        "to_department": department.name_zh,
        "visit_at": iso(booking.slot.starts_at),
        "booked_at": iso(booking.created_at),
    }


BUILDERS: dict[str, Callable[[int], dict]] = {
    "consultation_start": consultation_start,
    "consultation_end": consultation_end,
    "referral": referral,
    "prescription_signed": prescription_signed,
    "prescription_reviewed": prescription_reviewed,
    "prescription_dispensed": prescription_dispensed,
    "referral_booking": referral_booking,
}
REPORT_TYPES = tuple(BUILDERS)


# Which reports each status change makes, per kind of record.
REPORTS_FOR: dict[str, dict[str, list[str]]] = {
    "consultation": {
        "accepted": ["consultation_start"],
        "completed": ["consultation_end"],
        "referred": ["consultation_end", "referral"],
    },
    "prescription": {
        "signed": ["prescription_signed"],
        "approved": ["prescription_reviewed"],
        "rejected": ["prescription_reviewed"],
        "dispensed": ["prescription_dispensed"],
    },
    "booking": {"booked": ["referral_booking"]},
}


def report_types_for(kind: str, record_id: int, status: str) -> list[str]:
    """Which reports a status change makes (a booking is reported only when it is a referral's)."""
    types = REPORTS_FOR.get(kind, {}).get(status, [])
    if kind == "booking" and types:
        booking = db.session.get(Booking, record_id)
        return types if booking is not None and booking.consultation_id else []
    return types
