"""Care between visits as FHIR R4B: home readings and lab results as Observations (LOINC codes,
UCUM units), booked in-person visits as Appointments. Pure mapping, like fhir_build.

LOINC codes chosen for what a home device measures and the unit it reports: blood pressure as the
panel 85354-9 with systolic 8480-6, diastolic 8462-4 and heart rate 8867-4 as components; glucose
from a glucometer in mmol/L, so the Moles/volume codes of capillary blood (fasting 14770-2, any
other time 14743-9; the context is our own second coding); body weight 29463-7."""

from __future__ import annotations

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.observation import Observation

from chronic.models import (
    Booking,
    BookingStatus,
    GlucoseContext,
    LabResult,
    Reading,
    ReadingKind,
    ReadingLevel,
    SlotPurpose,
)
from interchange.fhir_build import HOSPITAL_CODE, LOCAL, UCUM, _concept, _day, _instant, _ref

LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
GLUCOSE_CONTEXT = LOCAL + "glucose-context"
LAB_CODE = LOCAL + "lab-test"
BOOKING_CODE = LOCAL + "booking"
SERVICE_TYPE = LOCAL + "slot-purpose"
READING_ID, LAB_ID = "reading-", "lab-"  # one Observation id space over two tables

BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
HEART_RATE = ("8867-4", "Heart rate")
BODY_WEIGHT = ("29463-7", "Body weight")
GLUCOSE_LOINC = {
    GlucoseContext.FASTING: ("14770-2", "Fasting glucose [Moles/volume] in Capillary blood by Glucometer"),
    GlucoseContext.AFTER_MEAL: ("14743-9", "Glucose [Moles/volume] in Capillary blood by Glucometer"),
    GlucoseContext.RANDOM: ("14743-9", "Glucose [Moles/volume] in Capillary blood by Glucometer"),
}
GLUCOSE_CONTEXT_NAMES = {
    GlucoseContext.FASTING: "空腹",
    GlucoseContext.AFTER_MEAL: "餐后",
    GlucoseContext.RANDOM: "随机",
}
# The lab catalogue's tests (chronic.labs.CATALOGUE) that have a LOINC code for the unit we keep.
LAB_LOINC = {
    "HBA1C": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
    "FPG": ("14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma"),
    "LIPID": ("22748-8", "Cholesterol in LDL [Moles/volume] in Serum or Plasma"),
    "RENAL": ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
    "K": ("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    "ALT": ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
    "UACR": ("9318-7", "Albumin/Creatinine [Mass Ratio] in Urine"),
}
# Our units as UCUM codes (the unit shown stays ours).
UCUM_CODES = {"mmHg": "mm[Hg]", "µmol/L": "umol/L", "bpm": "/min", "/min": "/min"}
_LEVEL_CODES = {
    ReadingLevel.NORMAL: ("N", "Normal"),
    ReadingLevel.LOW: ("L", "Low"),
    ReadingLevel.HIGH: ("H", "High"),
    ReadingLevel.URGENT: ("AA", "Critical abnormal"),
}
_LAB_FLAGS = {"N": ("N", "Normal"), "H": ("H", "High"), "L": ("L", "Low")}


def _loinc(code: tuple[str, str], text: str | None = None) -> dict:
    return _concept(LOINC, code[0], code[1], text)


def _category(code: str) -> list[dict]:
    return [_concept(OBSERVATION_CATEGORY, code, code.replace("-", " ").title())]


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": UCUM_CODES.get(unit, unit)}


def _interpretation(code: tuple[str, str]) -> list[dict]:
    return [_concept(INTERPRETATION, code[0], code[1])]


def _component(code: tuple[str, str], value: int, unit: str, high: float | None = None) -> dict:
    component = {"code": _loinc(code), "valueQuantity": _quantity(value, unit)}
    if high is not None:
        component["referenceRange"] = [{"high": _quantity(high, unit), "text": f"< {high:g} {unit}"}]
    return component


def reading_range(reading: Reading, targets: dict) -> tuple[float | None, float | None]:
    """The patient's target band of a glucose reading (low, high); None where none applies."""
    if reading.kind != ReadingKind.GLUCOSE:
        return None, None
    if reading.context == GlucoseContext.FASTING:
        return targets["glucose_fasting_low"], targets["glucose_fasting_high"]
    if reading.context == GlucoseContext.AFTER_MEAL:
        return None, targets["glucose_after_meal_high"]
    return None, None


def _reading_value(reading: Reading, targets: dict) -> tuple[dict, dict]:
    """The code and value part of a reading's Observation."""
    if reading.kind == ReadingKind.BLOOD_PRESSURE:
        components = [
            _component(SYSTOLIC, reading.systolic, "mmHg", targets["bp_systolic_target"]),
            _component(DIASTOLIC, reading.diastolic, "mmHg", targets["bp_diastolic_target"]),
        ]
        if reading.pulse:
            components.append(_component(HEART_RATE, reading.pulse, "/min"))
        return _loinc(BP_PANEL, "血压"), {"component": components}
    if reading.kind == ReadingKind.WEIGHT:
        return _loinc(BODY_WEIGHT, "体重"), {"valueQuantity": _quantity(reading.value, reading.unit)}
    context = reading.context or GlucoseContext.RANDOM
    name = f"{GLUCOSE_CONTEXT_NAMES.get(context, '')}血糖"
    code = _loinc(GLUCOSE_LOINC.get(context, GLUCOSE_LOINC[GlucoseContext.RANDOM]), name)
    code["coding"].append({"system": GLUCOSE_CONTEXT, "code": context})
    value = {"valueQuantity": _quantity(reading.value, reading.unit)}
    low, high = reading_range(reading, targets)
    if low is not None or high is not None:
        band = {"text": f"{low:g}–{high:g} {reading.unit}" if low is not None else f"< {high:g} {reading.unit}"}
        band |= {"low": _quantity(low, reading.unit)} if low is not None else {}
        value["referenceRange"] = [band | {"high": _quantity(high, reading.unit)}]
    return code, value


def reading_observation(reading: Reading, targets: dict) -> Observation:
    """A home reading: vital signs (blood pressure, weight) or a glucometer's glucose."""
    code, value = _reading_value(reading, targets)
    category = "laboratory" if reading.kind == ReadingKind.GLUCOSE else "vital-signs"
    self_measured = reading.entered_by_id == reading.patient_id
    return Observation(
        id=f"{READING_ID}{reading.id}",
        status="final",
        category=_category(category),
        code=code,
        subject=_ref("Patient", reading.patient_id),
        effectiveDateTime=_instant(reading.measured_at),
        issued=_instant(reading.created_at),
        performer=[_ref("Patient", reading.patient_id)] if self_measured else None,
        interpretation=_interpretation(_LEVEL_CODES.get(reading.level, _LEVEL_CODES[ReadingLevel.NORMAL])),
        method={"text": "home measurement" if reading.source == "manual" else "home measurement (imported)"},
        **value,
    )


def lab_observation(result: LabResult) -> Observation:
    """A lab result: preliminary while a doctor has yet to confirm the patient's own report."""
    code = _concept(LAB_CODE, result.code, result.name, result.name)
    if result.code in LAB_LOINC:
        loinc_code, display = LAB_LOINC[result.code]
        code["coding"].insert(0, {"system": LOINC, "code": loinc_code, "display": display})
    band = {}
    if result.ref_low is not None:
        band["low"] = _quantity(result.ref_low, result.unit)
    if result.ref_high is not None:
        band["high"] = _quantity(result.ref_high, result.unit)
    return Observation(
        id=f"{LAB_ID}{result.id}",
        status="final" if result.confirmed else "preliminary",
        category=_category("laboratory"),
        code=code,
        subject=_ref("Patient", result.patient_id),
        effectiveDateTime=_day(result.taken_on),
        issued=_instant(result.created_at),
        performer=[{"display": result.hospital_name}] if result.hospital_name else None,
        valueQuantity=_quantity(result.value, result.unit),
        interpretation=_interpretation(_LAB_FLAGS.get(result.flag, _LAB_FLAGS["N"])),
        referenceRange=[band] if band else None,
    )


def appointment(booking: Booking, doctor: tuple[int, str] | None, diagnosis_id: int | None) -> Appointment:
    """A booked in-person visit (or lab visit) in a department's time slot: the patient, the doctor
    who referred him, and the hospital and department (a display with the hospital's code: we serve
    no Location)."""
    slot = booking.slot
    department = slot.department
    hospital = department.hospital
    place = {
        "display": f"{hospital.name_zh} {department.name_zh}",
        "identifier": {"system": HOSPITAL_CODE, "value": hospital.code},
    }
    participants = [
        {"actor": _ref("Patient", booking.patient_id), "required": "required", "status": "accepted"},
        {"actor": place, "required": "required", "status": "accepted"},
    ]
    if doctor is not None:
        referrer = _concept(PARTICIPATION, "REF", "referrer")
        participants.append({"type": [referrer], "actor": _ref("Practitioner", *doctor), "status": "accepted"})
    cancelled = booking.status == BookingStatus.CANCELLED
    purpose = "检验检查" if slot.purpose == SlotPurpose.LAB else "线下复诊"
    return Appointment(
        id=str(booking.id),
        identifier=[{"system": BOOKING_CODE, "value": booking.code}],
        status="cancelled" if cancelled else "booked",
        cancelationReason={"text": "cancelled by the patient"} if cancelled else None,
        serviceType=[_concept(SERVICE_TYPE, slot.purpose, purpose, purpose)],
        reasonReference=[_ref("Condition", diagnosis_id)] if diagnosis_id else None,
        description=f"{purpose} · {hospital.name_zh} {department.name_zh}",
        start=_instant(slot.starts_at),
        end=_instant(slot.ends_at),
        created=_instant(booking.created_at),
        participant=participants,
    )
