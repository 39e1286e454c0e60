"""Lab results and lab tests ordered online (检验检查).

Results are structured (code, name, value, unit, reference range, flag, hospital, date); they come
from the network hospitals' records, from a report the patient uploads (pending until a doctor
confirms it), or back from tests a doctor ordered in a consultation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from chronic import care, plans
from chronic.models import LabOrder, LabOrderStatus, LabResult
from core import audit, clock, notify, uploads
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.transitions import conditional_move
from hospital.services import consultations as hospital_consultations
from hospital.services import patients as hospital_patients

# The short catalogue a doctor orders from: code -> (name zh, name en, unit, reference range).
CATALOGUE: dict[str, tuple[str, str, str, float | None, float | None]] = {
    "HBA1C": ("糖化血红蛋白", "HbA1c", "%", 4.0, 6.0),
    "FPG": ("空腹血糖", "Fasting plasma glucose", "mmol/L", 3.9, 6.1),
    "LIPID": ("血脂（LDL-C）", "Lipids (LDL-C)", "mmol/L", None, 3.4),
    "RENAL": ("肾功能（肌酐）", "Renal function (creatinine)", "µmol/L", 57, 111),
    "K": ("血钾", "Potassium", "mmol/L", 3.5, 5.3),
    "ALT": ("谷丙转氨酶", "ALT", "U/L", 9, 50),
    "UACR": ("尿白蛋白/肌酐比", "Urine albumin/creatinine ratio", "mg/g", None, 30),
    "ECG": ("心电图", "Electrocardiogram", "bpm", 60, 100),
}
LAB_DEPARTMENT_CODE = "LAB"  # network hospitals publish lab slots under their laboratory department


def catalogue() -> list[dict]:
    return [
        {"code": code, "name_zh": zh, "name_en": en, "unit": unit, "ref_low": low, "ref_high": high}
        for code, (zh, en, unit, low, high) in CATALOGUE.items()
    ]


def test_name(code: str, lang: str = "zh") -> str:
    entry = CATALOGUE.get(code)
    return (entry[0] if lang == "zh" else entry[1]) if entry else code


def flag_of(value: float, low: float | None, high: float | None) -> str:
    if high is not None and value > high:
        return "H"
    if low is not None and value < low:
        return "L"
    return "N"


@dataclass
class ResultInput:
    code: str
    value: float
    taken_on: date
    hospital_name: str
    unit: str | None = None
    ref_low: float | None = None
    ref_high: float | None = None


def _checked(data: ResultInput) -> dict:
    if data.code not in CATALOGUE:
        raise ValidationFailed("lab_test_unknown", _l("Choose a test from the list."), field="code")
    name_zh, _name_en, unit, low, high = CATALOGUE[data.code]
    if data.value is None or not 0 <= data.value <= 100000:
        raise ValidationFailed("lab_value", _l("Enter the value as printed on the report."), field="value")
    if data.taken_on > clock.today():
        raise ValidationFailed("lab_date_future", _l("The date of a test cannot be in the future."), field="taken_on")
    hospital_name = (data.hospital_name or "").strip()
    if len(hospital_name) < 2:
        raise ValidationFailed("lab_hospital", _l("Say which hospital did the test."), field="hospital_name")
    low = data.ref_low if data.ref_low is not None else low
    high = data.ref_high if data.ref_high is not None else high
    return {
        "code": data.code,
        "name": name_zh,
        "value": data.value,
        "unit": data.unit or unit,
        "ref_low": low,
        "ref_high": high,
        "flag": flag_of(data.value, low, high),
        "hospital_name": hospital_name[:100],
        "taken_on": data.taken_on,
    }


def add_network_result(patient_id: int, data: ResultInput, lab_order_id: int | None = None) -> LabResult:
    """A result from a network hospital's records (demo data, or an ordered test coming back)."""
    result = LabResult(
        patient_id=patient_id,
        source="order" if lab_order_id else "network",
        confirmed=True,
        lab_order_id=lab_order_id,
        **_checked(data),
    )
    db.session.add(result)
    db.session.flush()
    audit.record(None, patient_id, "create", "lab_result", result.id, source=result.source)
    return result


MAX_REPORT_BYTES = 10 * 1024 * 1024


def _store_report(report: bytes) -> str:
    kind = uploads.detect_type(report)
    if kind is None:
        raise ValidationFailed(
            "report_type", _l("The report must be a photo (PNG, JPEG, WebP) or a PDF."), field="report"
        )
    if len(report) > MAX_REPORT_BYTES:
        raise ValidationFailed("report_size", _l("The report may be at most 10 MB."), field="report")
    return uploads.store("lab-reports", report, kind)


def upload_result(patient: User, data: ResultInput, report: bytes | None = None) -> LabResult:
    """The patient enters a result from his paper report (optionally with its photo or PDF);
    it counts only once a doctor has confirmed it."""
    hospital_patients.require_patient(patient)
    values = _checked(data)
    stored = _store_report(report) if report else None
    result = LabResult(
        patient_id=patient.id,
        source="upload",
        confirmed=False,
        entered_by_id=patient.id,
        report_upload=stored,
        **values,
    )
    db.session.add(result)
    db.session.flush()
    audit.record(patient.id, patient.id, "create", "lab_result", result.id, source="upload")
    db.session.commit()
    return result


def confirm_result(doctor_user: User, result_id: int) -> LabResult:
    """A doctor who looks after the patient confirms an uploaded result against the report."""
    result = db.session.get(LabResult, result_id)
    if result is None or not care.may_see(doctor_user, result.patient_id):
        raise NotFound("lab_result_not_found", MSG_NOT_FOUND)
    care.require_doctor_for(doctor_user, result.patient_id)
    if result.confirmed:
        raise Conflict("lab_result_confirmed", _l("This result is already confirmed."))
    result.confirmed, result.confirmed_by_id = True, doctor_user.id
    audit.record(doctor_user.id, result.patient_id, "confirm", "lab_result", result.id)
    db.session.commit()
    plans.fulfil(result.patient_id, f"lab:{result.code}", f"lab_result:{result.id}", clock.now())
    return result


def results_for(actor: User, patient_id: int, code: str | None = None) -> list[LabResult]:
    """His results, newest first; `code` gives one test's history (its trend)."""
    care.patient_for(actor, patient_id)
    query = db.select(LabResult).filter_by(patient_id=patient_id)
    if code:
        query = query.filter_by(code=code)
    rows = list(db.session.execute(query.order_by(LabResult.taken_on.desc(), LabResult.id.desc())).scalars())
    audit.record_read(actor.id, patient_id, "lab_results", None, code=code)
    return rows


def trend(actor: User, patient_id: int, code: str) -> list[dict]:
    """One test's confirmed values over time, oldest first, for a chart."""
    if code not in CATALOGUE:
        raise ValidationFailed("lab_test_unknown", _l("Choose a test from the list."), field="code")
    rows = [r for r in results_for(actor, patient_id, code) if r.confirmed]
    return [{"t": r.taken_on.isoformat(), "v": r.value, "flag": r.flag, "unit": r.unit} for r in reversed(rows)]


# --- orders -----------------------------------------------------------------------------------


def order_tests(doctor_user: User, consultation_id: int, codes: list[str]) -> LabOrder:
    """The consulting doctor orders tests from the catalogue during an accepted consultation."""
    consultation = hospital_consultations.require_accepted_by(doctor_user, consultation_id)
    codes = list(dict.fromkeys(c.strip().upper() for c in codes or []))
    if not codes:
        raise ValidationFailed("lab_tests_empty", _l("Choose at least one test."), field="tests")
    unknown = [c for c in codes if c not in CATALOGUE]
    if unknown:
        raise ValidationFailed(
            "lab_test_unknown", _l("Not in the catalogue: %(codes)s"), field="tests", codes=", ".join(unknown)
        )
    order = LabOrder(
        patient_id=consultation.patient_id, consultation_id=consultation.id, doctor_user_id=doctor_user.id, tests=codes
    )
    db.session.add(order)
    db.session.flush()
    audit.record(doctor_user.id, consultation.patient_id, "order", "lab_order", order.id, tests=codes)
    db.session.commit()
    notify.notify_user(
        consultation.patient_id,
        "chronic.lab_ordered",
        {"lab_order_id": order.id, "tests": codes, "url": "/health/labs"},
    )
    return order


def orders_for(actor: User, patient_id: int) -> list[LabOrder]:
    care.patient_for(actor, patient_id)
    query = db.select(LabOrder).filter_by(patient_id=patient_id).order_by(LabOrder.id.desc())
    return list(db.session.execute(query).scalars())


def get_order(actor: User, order_id: int) -> LabOrder:
    order = db.session.get(LabOrder, order_id)
    if order is None or not care.may_see(actor, order.patient_id):
        raise NotFound("lab_order_not_found", MSG_NOT_FOUND)
    return order


def record_order_results(actor: User, order_id: int, results: list[ResultInput]) -> LabOrder:
    """The laboratory (an administrator of the network) returns the results of a booked order:
    they go into the patient's record and to the ordering doctor."""
    if actor.role != Role.ADMIN:
        raise Forbidden("role_refused", _l("Only the laboratory may return results."))
    order = db.session.get(LabOrder, order_id)
    if order is None:
        raise NotFound("lab_order_not_found", MSG_NOT_FOUND)
    if order.status != LabOrderStatus.BOOKED:
        raise Conflict("lab_order_not_booked", _l("Results come back only for booked tests."))
    missing = set(order.tests) - {r.code for r in results}
    if missing:
        raise ValidationFailed(
            "lab_results_missing",
            _l("Results missing for: %(codes)s"),
            field="results",
            codes=", ".join(sorted(missing)),
        )
    stored = [add_network_result(order.patient_id, r, lab_order_id=order.id) for r in results]
    if not conditional_move(order, LabOrderStatus.RESULTED, resulted_at=clock.now()):
        db.session.rollback()
        raise Conflict("lab_order_not_booked", _l("Results come back only for booked tests."))
    db.session.commit()
    for row in stored:
        plans.fulfil(order.patient_id, f"lab:{row.code}", f"lab_result:{row.id}", clock.now())
    payload = {
        "lab_order_id": order.id,
        "patient_id": order.patient_id,
        "tests": order.tests,
        "flags": {r.code: r.flag for r in stored},
    }
    notify.notify_user(
        order.doctor_user_id, "chronic.lab_results", {**payload, "url": f"/chronic/patients/{order.patient_id}"}
    )
    notify.notify_user(order.patient_id, "chronic.lab_results", {**payload, "url": "/health/labs"})
    db.session.refresh(order)
    return order


def booked_orders(actor: User) -> list[LabOrder]:
    """The laboratory's worklist: orders booked and waiting for results."""
    if actor.role != Role.ADMIN:
        raise Forbidden("role_refused", _l("Only the laboratory may return results."))
    query = db.select(LabOrder).filter_by(status=LabOrderStatus.BOOKED).order_by(LabOrder.id)
    return list(db.session.execute(query).scalars())
