"""Demo data of chronic care: published visit slots for the next two weeks (30 minutes, a few
places each) at the hub's chronic-care departments and at member hospitals, a member hospital's laboratory with
lab slots, lab results from the network hospitals' records, a month of home readings and a
follow-up plan for the first demo patient. Idempotent: rows are found by key."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from chronic import labs
from chronic.models import (
    FollowUpItem,
    FollowUpPlan,
    LabResult,
    Reading,
    ReadingKind,
    ReadingLevel,
    SlotPurpose,
    VisitSlot,
)
from core import accounts, clock
from core.extensions import db
from hospital.models.network import Department, Doctor, Hospital

SLOT_DAYS = 14
VISIT_TIMES = [time(8, 0), time(8, 30), time(9, 0), time(9, 30), time(10, 0), time(10, 30), time(14, 30), time(15, 0)]
VISIT_CAPACITY = 4
HUB_CHRONIC = ["CARD", "ENDO", "RESP", "GERI", "NEPH", "NEUR"]
# Member hospitals that take referred patients: (hospital code, department code, zh, en).
MEMBER_DEPARTMENTS = [
    ("H35020000001", "CARD", "心血管内科", "Cardiology"),
    ("H35020000001", "ENDO", "内分泌科", "Endocrinology"),
    ("H35030000001", "CARD", "心血管内科", "Cardiology"),
]
# The laboratory where tests ordered online are taken: a member hospital's (the hub's departments
# are the ones patients consult online).
LABORATORY_HOSPITAL = "H35010000001"
LABORATORY = ("LAB", "检验科", "Clinical Laboratory")
# First demo patient's records from the network hospitals: (code, value, months ago, hospital code).
LAB_HISTORY = [
    ("HBA1C", 7.8, 9, None),
    ("HBA1C", 7.2, 6, None),
    ("HBA1C", 6.9, 3, "H35020000001"),
    ("LIPID", 3.9, 6, None),
    ("RENAL", 88, 6, None),
    ("K", 4.2, 6, None),
]


def _department(hospital: Hospital, code: str, name_zh: str, name_en: str) -> Department:
    row = db.session.execute(db.select(Department).filter_by(hospital_id=hospital.id, code=code)).scalar_one_or_none()
    if row is None:
        row = Department(hospital_id=hospital.id, code=code, name_zh=name_zh, name_en=name_en)
        db.session.add(row)
        db.session.flush()
    return row


def _publish(department_id: int, purpose: str, times: list[time], capacity: int) -> None:
    today = clock.today()
    existing = set(
        db.session.execute(
            db.select(VisitSlot.starts_at).filter_by(department_id=department_id, purpose=purpose)
        ).scalars()
    )
    for offset in range(SLOT_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() == 6:  # no Sunday clinics
            continue
        for start in times:
            begin = datetime.combine(day, start, tzinfo=clock.local_tz()).astimezone(clock.now().tzinfo)
            if begin not in existing:
                db.session.add(
                    VisitSlot(
                        department_id=department_id,
                        purpose=purpose,
                        starts_at=begin,
                        ends_at=begin + timedelta(minutes=30),
                        capacity=capacity,
                        booked=0,
                    )
                )


def _seed_slots(hub: Hospital) -> None:
    for department in hub.departments:
        if department.code in HUB_CHRONIC:
            _publish(department.id, SlotPurpose.VISIT, VISIT_TIMES, VISIT_CAPACITY)
    for hospital_code, code, name_zh, name_en in MEMBER_DEPARTMENTS:
        hospital = db.session.execute(db.select(Hospital).filter_by(code=hospital_code)).scalar_one_or_none()
        if hospital is not None:
            _publish(_department(hospital, code, name_zh, name_en).id, SlotPurpose.VISIT, VISIT_TIMES, VISIT_CAPACITY)
    lab_hospital = db.session.execute(db.select(Hospital).filter_by(code=LABORATORY_HOSPITAL)).scalar_one_or_none()
    if lab_hospital is not None:
        _publish(_department(lab_hospital, *LABORATORY).id, SlotPurpose.LAB, VISIT_TIMES[:6], 10)
    db.session.commit()


def _seed_labs(patient_id: int) -> None:
    if db.session.execute(db.select(LabResult.id).filter_by(patient_id=patient_id)).first():
        return
    today = clock.today()
    for code, value, months_ago, hospital_code in LAB_HISTORY:
        hospital = db.session.execute(db.select(Hospital).filter_by(code=hospital_code or "H35000000001")).scalar_one()
        labs.add_network_result(
            patient_id,
            labs.ResultInput(code, value, today - timedelta(days=30 * months_ago), hospital.name_zh),
        )
    db.session.commit()


def _seed_readings(patient_id: int) -> None:
    """A month of morning blood pressure around 140/85 (some above target) and weekly fasting glucose."""
    if db.session.execute(db.select(Reading.id).filter_by(patient_id=patient_id)).first():
        return
    rng = random.Random(16)
    today = clock.today()
    for days_ago in range(28, 0, -1):
        day = today - timedelta(days=days_ago)
        at = datetime.combine(day, time(7, 30), tzinfo=clock.local_tz())
        s, d = rng.randint(126, 148), rng.randint(76, 92)
        level = ReadingLevel.HIGH if s >= 140 or d >= 90 else ReadingLevel.NORMAL
        db.session.add(
            Reading(
                patient_id=patient_id,
                kind=ReadingKind.BLOOD_PRESSURE,
                systolic=s,
                diastolic=d,
                pulse=rng.randint(62, 84),
                unit="mmHg",
                measured_at=at,
                level=level,
                entered_by_id=patient_id,
            )
        )
        if days_ago % 7 == 0:
            g = round(rng.uniform(5.8, 7.6), 1)
            db.session.add(
                Reading(
                    patient_id=patient_id,
                    kind=ReadingKind.GLUCOSE,
                    context="fasting",
                    value=g,
                    unit="mmol/L",
                    measured_at=at + timedelta(minutes=5),
                    level=ReadingLevel.HIGH if g > 7.0 else ReadingLevel.NORMAL,
                    entered_by_id=patient_id,
                )
            )
    db.session.commit()


def _seed_plan(patient_id: int, department: Department) -> None:
    if db.session.execute(db.select(FollowUpPlan.id).filter_by(patient_id=patient_id)).first():
        return
    doctor = db.session.execute(db.select(Doctor).filter_by(department_id=department.id)).scalars().first()
    if doctor is None:
        return
    plan = FollowUpPlan(
        patient_id=patient_id,
        doctor_user_id=doctor.user_id,
        department_id=department.id,
        note="高血压合并2型糖尿病随访",
    )
    db.session.add(plan)
    db.session.flush()
    today = clock.today()
    for kind, interval, due_in in (("blood_pressure", 28, 3), ("lab:HBA1C", 90, -5), ("visit", 90, 30)):
        db.session.add(
            FollowUpItem(
                plan_id=plan.id,
                patient_id=patient_id,
                kind=kind,
                interval_days=interval,
                due_on=today + timedelta(days=due_in),
            )
        )
    db.session.commit()


def seed_chronic(context: dict) -> None:
    """Slots, a laboratory, and the first demo patient's readings, lab results and plan."""
    hub = db.session.get(Hospital, context["provincial_hospital_id"])
    _seed_slots(hub)
    patient = accounts.get_by_username("13800000001")
    if patient is None:
        return
    cardiology = next(d for d in hub.departments if d.code == "CARD")
    _seed_labs(patient.id)
    _seed_readings(patient.id)
    _seed_plan(patient.id, cardiology)
    context["logins"].append(("patient", patient.username, "chronic care: readings, plan, lab results"))
