"""What the platform requires of each report type: the envelope, the fields of its data, the codes.

A report that breaks these is refused with 400 naming the field, and nothing is stored: resending
the same message cannot fix it, so the hospital stops retrying it.
"""

from __future__ import annotations

import re
from datetime import datetime

ENVELOPE = ("msgid", "org_code", "report_type", "occurred_at", "data")
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")
MODES = {"text", "voice", "video"}

_PATIENT = ("patient_id_hash", "patient_id_masked", "patient_sex", "patient_birth_date")
_DOCTOR = ("doctor_name", "doctor_license_no", "doctor_title")
REQUIRED: dict[str, tuple[str, ...]] = {
    "consultation_start": (
        "consultation_no",
        "hospital_code",
        "department_name",
        *_DOCTOR,
        *_PATIENT,
        "mode",
        "started_at",
        "diagnosis_icd10",
        "diagnosis_name",
    ),
    "consultation_end": (
        "consultation_no",
        "hospital_code",
        *_DOCTOR,
        "mode",
        "started_at",
        "ended_at",
        "outcome",
        "diagnosis_icd10",
        "diagnosis_name",
    ),
    "prescription_signed": (
        "prescription_no",
        "consultation_no",
        "hospital_code",
        *_DOCTOR,
        *_PATIENT,
        "signed_at",
        "diagnosis_icd10",
        "diagnosis_name",
        "items",
    ),
    "prescription_reviewed": ("prescription_no", "hospital_code", "pharmacist_name", "reviewed_at", "decision"),
    "prescription_dispensed": ("prescription_no", "hospital_code", "dispensed_at"),
    "referral": ("consultation_no", "hospital_code", *_DOCTOR, *_PATIENT, "referred_at", "reason", "to_department"),
    "referral_booking": ("booking_no", "consultation_no", "to_hospital_code", "to_department", "visit_at"),
}
ITEM = ("drug_code", "drug_name", "dose", "dose_unit", "frequency", "route", "days", "quantity")


class Invalid(Exception):
    """A report the platform refuses: which field, and why (in Chinese and English)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _time(value, field: str) -> None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(field, f"{field}: 时间格式错误 / not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Invalid(field, f"{field}: 缺少时区 / the time has no offset")


def check(envelope: object) -> None:
    """Raise Invalid for the first thing wrong with the message."""
    if not isinstance(envelope, dict):
        raise Invalid("body", "报文不是 JSON 对象 / the body is not a JSON object")
    for name in ENVELOPE:
        if envelope.get(name) in (None, ""):
            raise Invalid(name, f"{name}: 必填 / required")
    if envelope["report_type"] not in REQUIRED:
        raise Invalid("report_type", "未知的上报类型 / unknown report type")
    _time(envelope["occurred_at"], "occurred_at")
    data = envelope["data"]
    if not isinstance(data, dict):
        raise Invalid("data", "data: 必须是对象 / must be an object")
    for name in REQUIRED[envelope["report_type"]]:
        if data.get(name) in (None, "", []):
            raise Invalid(f"data.{name}", f"data.{name}: 必填 / required")
        if name.endswith("_at"):
            _time(data[name], f"data.{name}")
    _check_codes(data)


def _check_codes(data: dict) -> None:
    if "diagnosis_icd10" in data and not ICD10.match(str(data["diagnosis_icd10"])):
        raise Invalid("data.diagnosis_icd10", "data.diagnosis_icd10: 不是 ICD-10 编码 / not an ICD-10 code")
    if "mode" in data and data["mode"] not in MODES:
        raise Invalid("data.mode", "data.mode: 应为 text / voice / video")
    for index, item in enumerate(data.get("items") or []):
        for name in ITEM:
            if not isinstance(item, dict) or item.get(name) in (None, ""):
                raise Invalid(f"data.items[{index}].{name}", f"data.items[{index}].{name}: 必填 / required")
