"""Who is on duty: the shifts running at an instant. Read by the network (doctors on duty now)
and the rota alike, so it sits beneath both."""

from __future__ import annotations

from datetime import datetime

from core import clock
from core.extensions import db
from hospital.models.rota import Shift


def shifts_at(at: datetime, department_id: int | None = None) -> list[Shift]:
    """The shifts running at an instant."""
    query = db.select(Shift).where(Shift.starts_at <= at, Shift.ends_at > at).order_by(Shift.ends_at)
    if department_id:
        query = query.where(Shift.department_id == department_id)
    return list(db.session.execute(query).scalars())


def on_duty_doctor_ids(at: datetime) -> set[int]:
    """Doctors on a shift at `at` (used by GET /api/doctors?on_duty=true)."""
    return {shift.doctor_id for shift in shifts_at(at)}


def current_shift(doctor_id: int, at: datetime | None = None) -> Shift | None:
    """The doctor's shift running now (or at `at`)."""
    at = at or clock.now()
    query = db.select(Shift).where(Shift.doctor_id == doctor_id, Shift.starts_at <= at, Shift.ends_at > at)
    return db.session.execute(query).scalars().first()


def next_change(after: datetime) -> datetime | None:
    """The next instant a shift starts or ends after `after` (who is on duty changes only then)."""
    starts = db.select(db.func.min(Shift.starts_at)).where(Shift.starts_at > after).scalar_subquery()
    ends = db.select(db.func.min(Shift.ends_at)).where(Shift.ends_at > after).scalar_subquery()
    first_start, first_end = db.session.execute(db.select(starts, ends)).one()
    return min((t for t in (first_start, first_end) if t is not None), default=None)
