"""The hospital's figures for a period, each computed from the rows: consultations per department
and hour, waiting times, doctors on duty against the queue, prescriptions and review times.

A period is a span of local days [first, last]; instants are compared in UTC. Percentiles use the
nearest-rank method (the value below which p % of the observations fall, one of the observations),
so a figure can be checked by hand against the rows that make it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from core import clock
from core.errors import ValidationFailed
from core.extensions import db
from hospital.models.consultations import Consultation, ConsultationStatus
from hospital.models.network import Department
from hospital.models.prescriptions import Prescription, PrescriptionStatus
from hospital.models.rota import Shift
from hospital.services.prescriptions import ONCE_APPROVED

MAX_DAYS = 92  # a quarter: the charts stay readable and the queries cheap


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), clock.local_tz())

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), clock.local_tz())

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def period(first: date | None = None, last: date | None = None) -> Period:
    """A checked period; today when no day is given."""
    first = first or clock.today()
    last = last or first
    if last < first:
        raise ValidationFailed("period_order", _l("The period ends before it starts."), field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed("period_too_long", _l("Choose at most %(n)s days."), field="to", n=MAX_DAYS)
    return Period(first, last)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of the values (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 1)


def spread(values: list[float]) -> dict:
    """Count, p50 and p90 (minutes) of a list of durations."""
    return {"count": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90)}


def _consultations(p: Period) -> list[Consultation]:
    query = db.select(Consultation).where(Consultation.created_at >= p.start, Consultation.created_at < p.end)
    return list(db.session.execute(query).scalars())


def consultations_by_department(p: Period) -> list[dict]:
    """Consultations asked for in the period, per department (with its hospital), most first."""
    counts = Counter(c.department_id for c in _consultations(p))
    departments = db.session.execute(db.select(Department).where(Department.id.in_(counts))).scalars()
    rows = [
        {
            "department_id": d.id,
            "department_zh": d.name_zh,
            "department_en": d.name_en,
            "hospital_zh": d.hospital.name_zh,
            "hospital_en": d.hospital.name_en,
            "count": counts[d.id],
        }
        for d in departments
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["department_id"]))


def consultations_by_hour(p: Period) -> list[int]:
    """Consultations asked for in the period by local hour of the day (24 numbers)."""
    hours = Counter(clock.to_local(c.created_at).hour for c in _consultations(p))
    return [hours.get(h, 0) for h in range(24)]


def waiting_times(p: Period) -> dict:
    """From asking to a doctor's acceptance, for consultations asked for in the period (minutes)."""
    waits = [minutes(c.created_at, c.accepted_at) for c in _consultations(p) if c.accepted_at]
    return spread(waits)


def duty_against_queue(p: Period) -> list[dict]:
    """At each local hour of the period: doctors on a shift and patients waiting for one."""
    shifts = list(
        db.session.execute(db.select(Shift).where(Shift.starts_at < p.end, Shift.ends_at > p.start)).scalars()
    )
    asked = list(
        db.session.execute(
            db.select(Consultation).where(
                Consultation.created_at < p.end, Consultation.created_at >= p.start - timedelta(days=1)
            )
        ).scalars()
    )
    points, at = [], p.start
    while at < p.end and at <= clock.now():
        on_duty = len({s.doctor_id for s in shifts if s.starts_at <= at < s.ends_at})
        waiting = sum(1 for c in asked if c.created_at <= at and _still_waiting(c, at))
        points.append({"at": at.isoformat(), "on_duty": on_duty, "waiting": waiting})
        at += timedelta(hours=1)
    return points


def _still_waiting(c: Consultation, at: datetime) -> bool:
    """Nobody had accepted it at `at`, and it had not ended (cancelled or expired) by then."""
    taken = c.accepted_at if c.accepted_at is not None else c.ended_at
    return taken is None or taken > at


def prescriptions(p: Period) -> dict:
    """Prescriptions signed in the period, how the review ended, and review times (minutes)."""
    query = db.select(Prescription).where(Prescription.signed_at >= p.start, Prescription.signed_at < p.end)
    rows = list(db.session.execute(query).scalars())
    reviewed = [r for r in rows if r.reviewed_at is not None]
    approved = sum(1 for r in reviewed if r.status in ONCE_APPROVED)  # what followed an approval
    return {
        "signed": len(rows),
        "reviewed": len(reviewed),
        "approved": approved,
        "rejected": len(reviewed) - approved,
        "waiting": sum(1 for r in rows if r.status == PrescriptionStatus.SIGNED),
        "review_minutes": spread([minutes(r.signed_at, r.reviewed_at) for r in reviewed]),
    }


def review_backlog(waiting: list[Prescription]) -> dict:
    """A pharmacist's queue now (his hospital's signed prescriptions): how many wait and since
    when the oldest waits."""
    oldest = min((rx.signed_at for rx in waiting if rx.signed_at), default=None)
    return {
        "waiting": len(waiting),
        "oldest_signed_at": oldest,
        "oldest_minutes": minutes(oldest, clock.now()) if oldest else None,
    }


def doctor_backlog(department_id: int, doctor_id: int) -> dict:
    """What waits for a doctor now: patients waiting in his department, and his open consultations."""
    counts = dict(
        db.session.execute(
            db.select(Consultation.status, db.func.count())
            .where(
                ((Consultation.department_id == department_id) & (Consultation.status == ConsultationStatus.WAITING))
                | ((Consultation.doctor_id == doctor_id) & (Consultation.status == ConsultationStatus.ACCEPTED))
            )
            .group_by(Consultation.status)
        ).all()
    )
    return {"waiting": counts.get(ConsultationStatus.WAITING, 0), "open": counts.get(ConsultationStatus.ACCEPTED, 0)}
