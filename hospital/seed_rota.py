"""Demo rota: the coming two weeks for the 31 online doctors, and somebody on duty at any hour.

Most doctors alternate morning and evening shifts. The second doctors of respiratory,
endocrinology and cardiology are on 24-hour on-call duty (08:00 to 08:00) every day, starting
yesterday, so that `make run` at any hour, even at night, has doctors on duty in those
departments (the seed platform answered around the clock). Idempotent: shifts are found by
(doctor, day, kind).
"""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.extensions import db
from hospital.models.network import Doctor
from hospital.models.rota import Shift, ShiftKind
from hospital.services import network, rota

DAYS = 14
ONCALL_USERNAMES = ("doc26", "doc27", "doc28")  # second doctors of RESP, ENDO, CARD


def _ensure_shift(doctor: Doctor, day, kind: str) -> None:
    exists = db.session.execute(db.select(Shift.id).filter_by(doctor_id=doctor.id, day=day, kind=kind)).first()
    if exists:
        return
    starts_at, ends_at = rota.shift_window(day, kind)
    if ends_at <= clock.now():
        return
    overlap = db.session.execute(
        db.select(Shift.id).where(Shift.doctor_id == doctor.id, Shift.starts_at < ends_at, Shift.ends_at > starts_at)
    ).first()
    if overlap:
        return
    db.session.add(
        Shift(
            doctor_id=doctor.id,
            department_id=doctor.department_id,
            day=day,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=rota.DEFAULT_CAPACITY[kind],
        )
    )


def seed_rota(context: dict) -> None:
    """Two weeks of morning/evening shifts, plus round-the-clock on-call doctors."""
    doctors = db.session.execute(db.select(Doctor).order_by(Doctor.id)).scalars()
    today = clock.today()
    for number, doctor in enumerate(doctors, start=1):
        if not network.may_consult_online(doctor):
            continue
        if doctor.user.username in ONCALL_USERNAMES:
            for offset in range(-1, DAYS):
                _ensure_shift(doctor, today + timedelta(days=offset), ShiftKind.ONCALL)
            continue
        for offset in range(DAYS):
            day = today + timedelta(days=offset)
            kind = ShiftKind.MORNING if (number + offset) % 2 == 0 else ShiftKind.EVENING
            _ensure_shift(doctor, day, kind)
    db.session.commit()
    context["logins"].append(("doctor", "doc26", "on call 24 h · 呼吸与危重症医学科 (respiratory)"))
    context["logins"].append(("doctor", "doc28", "on call 24 h · 心血管内科 (cardiology)"))
