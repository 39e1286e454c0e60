"""Home readings: record (number pad or a device's CSV), refuse impossible values in words,
classify against the patient's targets, alert the on-duty doctors, flag repeated high readings."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from chronic import care, plans
from chronic.models import Alert, AlertKind, AlertStatus, GlucoseContext, Reading, ReadingKind, ReadingLevel
from chronic.targets import targets_of
from core import accounts, audit, clock, notify
from core.errors import MSG_NOT_FOUND, Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from core.transitions import conditional_move
from hospital.services import patients as hospital_patients

UNITS = {ReadingKind.BLOOD_PRESSURE: "mmHg", ReadingKind.GLUCOSE: "mmol/L", ReadingKind.WEIGHT: "kg"}
# What a body (and a home device) can show; outside these a value is a typo, not a reading.
LIMITS = {
    "systolic": (50, 300, "mmHg"),
    "diastolic": (30, 200, "mmHg"),
    "pulse": (30, 220, _l("beats per minute")),
    "glucose": (1.0, 35.0, "mmol/L"),
    "weight": (2.0, 300.0, "kg"),
}
MG_DL_PER_MMOL_L = 18.0
TREND_COUNT, TREND_DAYS = 3, 7  # three high readings of a kind within a week
ALERT_RECENT = timedelta(hours=24)  # an imported old reading does not page the doctor on duty

ADVICE = {
    ("blood_pressure", "urgent"): _l(
        "Your blood pressure is very high. Sit down, rest quietly for 5 minutes and measure again. "
        "If it stays this high, or you have chest pain, a severe headache, weakness or trouble speaking, "
        "call 120 now. The doctor on duty has been told and may contact you."
    ),
    ("glucose", "urgent"): _l(
        "Your blood sugar is very high. Drink some water, take your medicines as prescribed and measure "
        "again in 1 hour. If you feel very thirsty, sick, drowsy or confused, call 120 now. "
        "The doctor on duty has been told and may contact you."
    ),
    ("glucose", "urgent_low"): _l(
        "Your blood sugar is very low. Eat or drink something sweet now (for example half a glass of "
        "fruit juice or three sugar cubes) and measure again in 15 minutes. If you feel faint or confused, "
        "call 120 now. The doctor on duty has been told."
    ),
    ("glucose", "low"): _l("Your blood sugar is below your target. Eat something now and measure again later."),
    ("high",): _l("This reading is above your target. Take your medicines as prescribed and measure again tomorrow."),
    ("normal",): _l("This reading is within your target. Well done."),
}


@dataclass
class ReadingInput:
    kind: str
    measured_at: datetime | None = None
    systolic: float | None = None
    diastolic: float | None = None
    pulse: float | None = None
    value: float | None = None
    context: str | None = None
    unit: str | None = None


def _in_range(field: str, value: float | None, required: bool = True, limits: str | None = None) -> None:
    if value is None:
        if required:
            raise ValidationFailed("reading_required", _l("Please enter this value."), field=field)
        return
    low, high, unit = LIMITS[limits or field]
    if not low <= value <= high:
        raise ValidationFailed(
            "reading_impossible",
            _l("%(value)s %(unit)s cannot be right: please check it (it must be between %(low)s and %(high)s)."),
            field=field,
            value=f"{value:g}",
            unit=unit,
            low=low,
            high=high,
        )


def _check_time(measured_at: datetime) -> None:
    now = clock.now()
    if measured_at > now + timedelta(minutes=5):
        raise ValidationFailed(
            "reading_in_future", _l("The time of a reading cannot be in the future."), field="measured_at"
        )
    if measured_at < now - timedelta(days=366):
        raise ValidationFailed(
            "reading_too_old", _l("Readings older than a year cannot be added."), field="measured_at"
        )


def _glucose_mmol(data: ReadingInput) -> float | None:
    """Glucose in mmol/L; some meters export mg/dL."""
    if data.value is not None and (data.unit or "").lower() == "mg/dl":
        return round(data.value / MG_DL_PER_MMOL_L, 1)
    return data.value


def validate(data: ReadingInput) -> dict:
    """The column values of a reading, or a ValidationFailed naming the field at fault."""
    if data.kind not in set(ReadingKind):
        raise ValidationFailed("reading_kind", _l("Choose blood pressure, glucose or weight."), field="kind")
    measured_at = data.measured_at or clock.now()
    _check_time(measured_at)
    values = {"kind": data.kind, "unit": UNITS[ReadingKind(data.kind)], "measured_at": measured_at}
    if data.kind == ReadingKind.BLOOD_PRESSURE:
        _in_range("systolic", data.systolic)
        _in_range("diastolic", data.diastolic)
        _in_range("pulse", data.pulse, required=False)
        if data.diastolic >= data.systolic:
            raise ValidationFailed(
                "diastolic_not_below", _l("The lower pressure must be below the upper pressure."), field="diastolic"
            )
        values.update(systolic=round(data.systolic), diastolic=round(data.diastolic))
        values["pulse"] = round(data.pulse) if data.pulse is not None else None
    elif data.kind == ReadingKind.GLUCOSE:
        if data.context not in set(GlucoseContext):
            raise ValidationFailed(
                "glucose_context", _l("Say when it was measured: fasting, after a meal or at random."), field="context"
            )
        value = _glucose_mmol(data)
        _in_range("value", value, limits="glucose")
        values.update(value=round(value, 1), context=data.context)
    else:
        _in_range("value", data.value, limits="weight")
        values.update(value=round(data.value, 1))
    return values


def classify(values: dict, targets: dict) -> tuple[str, str]:
    """(level, advice key) of a reading against the patient's targets."""
    if values["kind"] == ReadingKind.BLOOD_PRESSURE:
        s, d = values["systolic"], values["diastolic"]
        if s >= targets["bp_systolic_urgent"] or d >= targets["bp_diastolic_urgent"]:
            return ReadingLevel.URGENT, "urgent"
        if s >= targets["bp_systolic_target"] or d >= targets["bp_diastolic_target"]:
            return ReadingLevel.HIGH, "high"
        return ReadingLevel.NORMAL, "normal"
    if values["kind"] == ReadingKind.GLUCOSE:
        g = values["value"]
        if g >= targets["glucose_urgent"]:
            return ReadingLevel.URGENT, "urgent"
        if g < targets["glucose_urgent_low"]:
            return ReadingLevel.URGENT, "urgent_low"
        if g < targets["glucose_fasting_low"]:
            return ReadingLevel.LOW, "low"
        high = (
            targets["glucose_fasting_high"]
            if values["context"] == GlucoseContext.FASTING
            else targets["glucose_after_meal_high"]
        )
        return (ReadingLevel.HIGH, "high") if g > high else (ReadingLevel.NORMAL, "normal")
    return ReadingLevel.NORMAL, "normal"


def advice_for(reading: Reading, targets: dict | None = None) -> str:
    """What the patient should do now, in words (current language)."""
    _level, key = classify(_values_of(reading), targets or targets_of(reading.patient_id))
    text = ADVICE.get((reading.kind, key)) or ADVICE.get((key,)) or ADVICE[("normal",)]
    return str(text)


def _values_of(reading: Reading) -> dict:
    return {
        "kind": reading.kind,
        "systolic": reading.systolic,
        "diastolic": reading.diastolic,
        "value": reading.value,
        "context": reading.context,
    }


def summary_of(reading: Reading) -> str:
    """'186/112 mmHg, pulse 88' or '17.2 mmol/L' — numbers and units, language-neutral."""
    if reading.kind == ReadingKind.BLOOD_PRESSURE:
        return f"{reading.systolic}/{reading.diastolic} mmHg" + (f" · ♥ {reading.pulse}" if reading.pulse else "")
    return f"{reading.value:g} {reading.unit}"


# --- recording --------------------------------------------------------------------------------


def _store(patient: User, actor: User, values: dict, source: str) -> Reading | None:
    """Insert a reading; None when the same reading (kind and time) is already there."""
    level, _key = classify(values, targets_of(patient.id))
    reading = Reading(patient_id=patient.id, entered_by_id=actor.id, source=source, level=level, **values)
    try:
        with db.session.begin_nested():
            db.session.add(reading)
    except IntegrityError:
        return None
    audit.record(actor.id, patient.id, "create", "reading", reading.id, kind=reading.kind, source=source)
    return reading


def record_reading(patient: User, data: ReadingInput) -> Reading:
    """The patient records one reading; an urgent one reaches the on-duty doctors live."""
    hospital_patients.require_patient(patient)
    values = validate(data)
    reading = _store(patient, patient, values, "manual")
    if reading is None:
        raise ValidationFailed(
            "reading_duplicate", _l("A reading of this kind at this time is already recorded."), field="measured_at"
        )
    db.session.commit()
    _after_readings(patient, [reading])
    reading.advice = advice_for(reading)  # what to do now, in his language, for the answer
    return reading


CSV_HELP = "measured_at,kind,systolic,diastolic,pulse,value,unit,context"


def _parse_row(row: dict, number: int) -> ReadingInput:
    def num(name: str) -> float | None:
        text = (row.get(name) or "").strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise ValidationFailed(
                "csv_row", _l("Row %(row)s: %(column)s is not a number."), field="file", row=number, column=name
            ) from None

    try:
        measured_at = datetime.fromisoformat((row.get("measured_at") or "").strip())
    except ValueError:
        raise ValidationFailed(
            "csv_row", _l("Row %(row)s: the time must look like 2026-03-01 08:30."), field="file", row=number
        ) from None
    if measured_at.tzinfo is None:
        measured_at = measured_at.replace(tzinfo=clock.local_tz())
    kind = (row.get("kind") or "").strip().lower()
    return ReadingInput(
        kind=kind,
        measured_at=measured_at,
        systolic=num("systolic"),
        diastolic=num("diastolic"),
        pulse=num("pulse"),
        value=num("value"),
        unit=(row.get("unit") or "").strip() or None,
        context=(row.get("context") or "").strip().lower() or None,
    )


def _rows(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"measured_at", "kind"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationFailed(
            "csv_header", _l("The file needs a header line: %(header)s"), field="file", header=CSV_HELP
        )
    rows = list(reader)
    if not rows:
        raise ValidationFailed("csv_empty", _l("The file holds no readings."), field="file")
    if len(rows) > 2000:
        raise ValidationFailed("csv_too_long", _l("At most 2000 readings per file."), field="file")
    return rows


def import_csv(patient: User, data: bytes) -> dict:
    """Import a device app's CSV export: every row is checked first; one bad row refuses the file
    (saying which row and why); readings already there are skipped, so a re-import is harmless."""
    hospital_patients.require_patient(patient)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("csv_encoding", _l("The file must be a UTF-8 CSV file."), field="file") from None
    checked = []
    for number, row in enumerate(_rows(text), start=2):
        try:
            checked.append(validate(_parse_row(row, number)))
        except ValidationFailed as err:
            if err.reason == "csv_row":
                raise
            raise ValidationFailed(
                "csv_row", _l("Row %(row)s: %(problem)s"), field="file", row=number, problem=err.render_message()
            ) from None
    stored = [r for r in (_store(patient, patient, values, "csv") for values in checked) if r is not None]
    db.session.commit()
    _after_readings(patient, stored)
    return {"imported": len(stored), "skipped": len(checked) - len(stored)}


# --- what follows a reading ---------------------------------------------------------------------


def _after_readings(patient: User, readings: list[Reading]) -> None:
    """Tick off follow-up items, raise urgent alerts and trend flags (after the readings' commit)."""
    for reading in readings:
        plans.fulfil(patient.id, reading.kind, f"reading:{reading.id}", reading.measured_at)
    recent = [r for r in readings if r.measured_at >= clock.now() - ALERT_RECENT]
    for reading in recent:
        if reading.level == ReadingLevel.URGENT:
            _raise_alert(patient, reading, AlertKind.URGENT)
    for kind in {r.kind for r in readings if r.level in (ReadingLevel.HIGH, ReadingLevel.URGENT)}:
        _flag_trend(patient, kind)


def _open_alert(patient_id: int, kind: str, reading_kind: str) -> Alert | None:
    query = db.select(Alert).filter_by(
        patient_id=patient_id, kind=kind, reading_kind=reading_kind, status=AlertStatus.OPEN
    )
    return db.session.execute(query).scalars().first()


def _flag_trend(patient: User, reading_kind: str) -> None:
    """Repeated high readings within a week: one open trend flag per kind until a doctor sees it."""
    since = clock.now() - timedelta(days=TREND_DAYS)
    query = db.select(Reading).where(
        Reading.patient_id == patient.id,
        Reading.kind == reading_kind,
        Reading.measured_at >= since,
        Reading.level.in_([ReadingLevel.HIGH, ReadingLevel.URGENT]),
    )
    high = list(db.session.execute(query.order_by(Reading.measured_at.desc())).scalars())
    if len(high) >= TREND_COUNT and _open_alert(patient.id, AlertKind.TREND, reading_kind) is None:
        _raise_alert(patient, high[0], AlertKind.TREND, count=len(high))


ALERT_TITLES = {
    AlertKind.URGENT: _l("Urgent reading: %(patient)s, %(summary)s"),
    AlertKind.TREND: _l("Repeated high readings: %(patient)s (%(count)s in %(days)s days)"),
}


def _raise_alert(patient: User, reading: Reading, kind: str, count: int = 1) -> Alert:
    department_id = care.care_department_id(patient.id, reading.kind)
    alert = Alert(
        patient_id=patient.id,
        department_id=department_id,
        reading_id=reading.id,
        kind=kind,
        reading_kind=reading.kind,
        summary=summary_of(reading),
    )
    db.session.add(alert)
    audit.record(None, patient.id, "create", "chronic_alert", None, kind=kind, reading_id=reading.id)
    db.session.commit()
    if kind == AlertKind.URGENT:
        _tell_on_duty(alert, patient, count)
    return alert


def alert_payload(alert: Alert) -> dict:
    return {
        "alert_id": alert.id,
        "kind": alert.kind,
        "patient_id": alert.patient_id,
        "department_id": alert.department_id,
        "reading_kind": alert.reading_kind,
        "summary": alert.summary,
        "created_at": clock.to_local(alert.created_at).isoformat(),
        "url": f"/chronic/patients/{alert.patient_id}",
    }


def _tell_on_duty(alert: Alert, patient: User, count: int) -> None:
    """Each on-duty doctor of his department gets a stored, live notification in his language."""
    for user_id in care.on_duty_doctor_user_ids(alert.department_id):
        doctor = accounts.get_by_id(user_id)
        with force_locale((doctor.locale if doctor else None) or "zh"):
            title = str(ALERT_TITLES[alert.kind]) % {
                "patient": patient.name,
                "summary": alert.summary,
                "count": count,
                "days": TREND_DAYS,
            }
        notify.notify_user(
            user_id, "chronic.alert", {**alert_payload(alert), "patient_name": patient.name, "title": title}
        )


# --- reading them -----------------------------------------------------------------------------


def readings_for(actor: User, patient_id: int, days: int = 30, kind: str | None = None) -> list[Reading]:
    """The patient's readings of the last `days` days (7, 30 or 90), oldest first (audited)."""
    care.patient_for(actor, patient_id)
    if days not in (7, 30, 90):
        raise ValidationFailed("chart_days", _l("Choose 7, 30 or 90 days."), field="days")
    query = db.select(Reading).where(
        Reading.patient_id == patient_id, Reading.measured_at >= clock.now() - timedelta(days=days)
    )
    if kind:
        query = query.where(Reading.kind == kind)
    rows = list(db.session.execute(query.order_by(Reading.measured_at)).scalars())
    audit.record_read(actor.id, patient_id, "readings", None, days=days)
    return rows


def latest_reading(patient_id: int) -> Reading | None:
    query = db.select(Reading).filter_by(patient_id=patient_id).order_by(Reading.measured_at.desc()).limit(1)
    return db.session.execute(query).scalar_one_or_none()


def chart_data(readings: list[Reading], targets: dict) -> dict:
    """Series for the page's SVG chart: points by kind, plus the target band of each."""
    series: dict[str, list] = {"blood_pressure": [], "glucose": [], "weight": []}
    for r in readings:
        point = {"t": clock.to_local(r.measured_at).isoformat(), "level": r.level}
        if r.kind == ReadingKind.BLOOD_PRESSURE:
            point.update(s=r.systolic, d=r.diastolic)
        else:
            point.update(v=r.value, context=r.context)
        series[r.kind].append(point)
    bands = {
        "blood_pressure": {
            "high": targets["bp_systolic_target"],
            "high2": targets["bp_diastolic_target"],
            "urgent": targets["bp_systolic_urgent"],
        },
        "glucose": {
            "low": targets["glucose_fasting_low"],
            "high": targets["glucose_fasting_high"],
            "urgent": targets["glucose_urgent"],
        },
    }
    return {"series": series, "bands": bands}


# --- alerts -----------------------------------------------------------------------------------


def alerts_for_patient(actor: User, patient_id: int, only_open: bool = False, limit: int = 20) -> list[Alert]:
    care.patient_for(actor, patient_id)
    query = db.select(Alert).filter_by(patient_id=patient_id)
    if only_open:
        query = query.filter_by(status=AlertStatus.OPEN)
    return list(db.session.execute(query.order_by(Alert.id.desc()).limit(limit)).scalars())


def open_flags(patient_id: int) -> list[Alert]:
    """A patient's open urgent alerts and trend flags (shown beside him in the doctor's queue)."""
    query = db.select(Alert).filter_by(patient_id=patient_id, status=AlertStatus.OPEN).order_by(Alert.id.desc())
    return list(db.session.execute(query.limit(3)).scalars())


def department_alerts(doctor_user: User, only_open: bool = True) -> list[Alert]:
    """Open alerts and trend flags of the doctor's department, newest first (audited)."""
    doctor = care.doctor_of(doctor_user)
    if doctor is None:
        return []
    query = db.select(Alert).filter_by(department_id=doctor.department_id)
    if only_open:
        query = query.filter_by(status=AlertStatus.OPEN)
    rows = list(db.session.execute(query.order_by(Alert.id.desc()).limit(100)).scalars())
    audit.record_read(doctor_user.id, None, "chronic_alerts", doctor.department_id, ids=[a.id for a in rows][:50])
    return rows


ALERT_TRANSITIONS = {AlertStatus.OPEN: {AlertStatus.ACKNOWLEDGED}}


def move_alert_to(alert: Alert, status: str, **values) -> None:
    """The only status change of an alert, checked and conditional (two doctors, one wins)."""
    if status not in ALERT_TRANSITIONS.get(alert.status, set()):
        raise Conflict("illegal_transition", _l("This alert was already seen."))
    if not conditional_move(alert, status, **values):
        raise Conflict("illegal_transition", _l("This alert was already seen."))


def acknowledge(doctor_user: User, alert_id: int) -> Alert:
    """A doctor who looks after the patient marks the alert seen."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or not care.may_see(doctor_user, alert.patient_id):
        raise NotFound("alert_not_found", MSG_NOT_FOUND)
    care.require_doctor_for(doctor_user, alert.patient_id)
    move_alert_to(alert, AlertStatus.ACKNOWLEDGED, acknowledged_by_id=doctor_user.id, acknowledged_at=clock.now())
    audit.record(doctor_user.id, alert.patient_id, "acknowledge", "chronic_alert", alert.id)
    db.session.commit()
    _tell_patient_seen(alert, doctor_user)
    return alert


SEEN_TITLE = _l("Dr %(doctor)s has seen your reading %(summary)s.")


def _tell_patient_seen(alert: Alert, doctor_user: User) -> None:
    """The patient learns that a doctor has looked at his alert (he is not left wondering)."""
    patient = accounts.get_by_id(alert.patient_id)
    with force_locale((patient.locale if patient else None) or "zh"):
        title = str(SEEN_TITLE) % {"doctor": doctor_user.name, "summary": alert.summary}
    notify.notify_user(
        alert.patient_id, "chronic.alert_seen", {**alert_payload(alert), "url": "/health", "title": title}
    )
