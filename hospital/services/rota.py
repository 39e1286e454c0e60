"""The online rota: shifts per doctor and day, who is on duty, and the capacity of a shift."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from core import clock, rows
from core.errors import Conflict, NotFound, ValidationFailed, commit_unique
from core.extensions import db
from core.models import User
from core.rows import Shown, labelled
from hospital.models.network import Department, Doctor
from hospital.models.rota import Shift, ShiftKind
from hospital.services import network

# The on-duty queries live beneath the rota and the network; the rota answers them too.
from hospital.services.duty import current_shift, on_duty_doctor_ids, shifts_at  # noqa: F401

# The 24-hour on-call duty is not in SHIFT_TIMES by default: it runs from 08:00 to 08:00.
ONCALL_TIMES = ("08:00", "08:00")
DEFAULT_CAPACITY = {ShiftKind.MORNING: 10, ShiftKind.EVENING: 10, ShiftKind.ONCALL: 20}


def shift_times() -> dict[str, tuple[str, str]]:
    """Kinds and their local start/end times (config SHIFT_TIMES plus the on-call duty)."""
    times = dict(current_app.config["SHIFT_TIMES"])
    times.setdefault(ShiftKind.ONCALL.value, ONCALL_TIMES)
    return times


def shift_window(day: date, kind: str) -> tuple[datetime, datetime]:
    """The UTC start and end of a shift kind on a local day (an end not after the start is next day)."""
    times = shift_times()
    if kind not in times:
        raise ValidationFailed("invalid_shift_kind", _l("Unknown shift kind."), field="kind")
    start_text, end_text = times[kind]
    start = datetime.combine(day, time.fromisoformat(start_text), clock.local_tz())
    end = datetime.combine(day, time.fromisoformat(end_text), clock.local_tz())
    if end <= start:
        end += timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _check_eligible(doctor: Doctor) -> None:
    if not network.may_consult_online(doctor):
        raise ValidationFailed(
            "practice_too_short",
            _l("A doctor needs at least 3 years of independent practice to consult online."),
            field="doctor_id",
        )


def _check_no_overlap(doctor_id: int, starts_at: datetime, ends_at: datetime, skip_id: int | None = None) -> None:
    query = db.select(Shift.id).where(
        Shift.doctor_id == doctor_id, Shift.starts_at < ends_at, Shift.ends_at > starts_at
    )
    if skip_id:
        query = query.where(Shift.id != skip_id)
    if db.session.execute(query).first():
        raise Conflict("shift_overlap", _l("This doctor already has a shift at that time."), field="day")


def _check_capacity(capacity: int) -> None:
    if not 1 <= capacity <= 200:
        raise ValidationFailed("invalid_capacity", _l("Capacity must be between 1 and 200."), field="capacity")


def add_shift(doctor_id: int, day: date, kind: str, capacity: int | None = None) -> Shift:
    """Put a doctor on the rota for one shift (administrators)."""
    doctor = network.get_doctor(doctor_id)
    _check_eligible(doctor)
    capacity = capacity if capacity is not None else DEFAULT_CAPACITY.get(kind, 10)
    _check_capacity(capacity)
    starts_at, ends_at = shift_window(day, kind)
    if ends_at <= clock.now():
        raise ValidationFailed("shift_in_past", _l("This shift is already over."), field="day")
    _check_no_overlap(doctor.id, starts_at, ends_at)
    shift = Shift(
        doctor_id=doctor.id,
        department_id=doctor.department_id,
        day=day,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )
    db.session.add(shift)
    commit_unique("shift_overlap", _l("This doctor already has a shift at that time."), field="day")
    return shift


def get_shift(shift_id: int) -> Shift:
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("shift_not_found", _l("No such shift."))
    return shift


def update_shift(shift_id: int, capacity: int) -> Shift:
    """Change a shift's capacity; never below the patients it has already taken."""
    shift = get_shift(shift_id)
    _check_capacity(capacity)
    if capacity < shift.accepted:
        raise Conflict(
            "capacity_below_taken", _l("The shift has already taken more patients than that."), field="capacity"
        )
    shift.capacity = capacity
    db.session.commit()
    return shift


def remove_shift(shift_id: int) -> None:
    """Take a shift off the rota while it has neither started nor taken a patient."""
    shift = get_shift(shift_id)
    if shift.accepted or shift.starts_at <= clock.now():
        raise Conflict("shift_started", _l("A shift that has started or taken patients cannot be removed."))
    db.session.delete(shift)
    db.session.commit()


def list_shifts(
    department_id: int | None = None,
    doctor_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    upcoming: bool = False,
    limit: int = 50,
    at: datetime | None = None,
) -> list[Shift]:
    """Shifts filtered by department, doctor and local days [start, end]; `upcoming`: not over yet
    (at `at`, default now; at most `limit`). Loaded with their doctor's name and department, which
    they are printed with."""
    query = db.select(Shift).order_by(Shift.starts_at, Shift.doctor_id)
    query = query.options(*shown())
    if department_id:
        query = query.where(Shift.department_id == department_id)
    if doctor_id:
        query = query.where(Shift.doctor_id == doctor_id)
    if start:
        query = query.where(Shift.day >= start)
    if end:
        query = query.where(Shift.day <= end)
    if upcoming:
        query = query.where(Shift.ends_at > (at or clock.now())).limit(limit)
    return list(db.session.execute(query).scalars())


@cache
def shown() -> tuple:
    """Loader options for what ShiftSchema prints: the doctor's name and the department."""
    return (joinedload(Shift.doctor).joinedload(Doctor.user), joinedload(Shift.department))


_shift, _department = Shift.__table__, Department.__table__.alias("department")
_doctor, _doctor_user = Doctor.__table__.alias("doctor"), User.__table__.alias("doctor_user")
# A doctor's shifts not over yet, as rows with what ShiftSchema prints (core.rows): the doctor's
# queue asks for them on every read, and loading them as ORM objects with the doctor, his user
# and the department joined cost twice the rest of the queue (the ORM revisits the same doctor
# and user on every row).
_UPCOMING_OF_DOCTOR = (
    db.select(
        *_shift.c,
        _doctor.c.id.label("doctor__id"),
        _doctor_user.c.name.label("doctor__user__name"),
        *labelled([_department.c.id, _department.c.name_zh, _department.c.name_en], "department"),
    )
    .select_from(_shift)
    .join(_doctor, _doctor.c.id == _shift.c.doctor_id)
    .join(_doctor_user, _doctor_user.c.id == _doctor.c.user_id)
    .join(_department, _department.c.id == _shift.c.department_id)
    .where(_shift.c.doctor_id == bindparam("doctor_id"), _shift.c.ends_at > bindparam("at"))
    .order_by(_shift.c.starts_at, _shift.c.doctor_id)
    .limit(bindparam("limit"))
)


def upcoming_shifts_of(doctor_id: int, at: datetime, limit: int = 5) -> list[Shown]:
    """A doctor's shifts not over at `at`, soonest first, with what they print (list_shifts'
    answer, read as rows: one statement built once)."""
    return rows.shaped(rows.read(_UPCOMING_OF_DOCTOR, {"doctor_id": doctor_id, "at": at, "limit": limit}))


def next_shift_in_department(department_id: int, after: datetime, exclude_doctor_id: int | None = None):
    """The colleague's shift that is running at `after` or starts soonest after it."""
    query = (
        db.select(Shift)
        .where(Shift.department_id == department_id, Shift.ends_at > after)
        .order_by(Shift.starts_at, Shift.id)
    )
    if exclude_doctor_id:
        query = query.where(Shift.doctor_id != exclude_doctor_id)
    return db.session.execute(query.limit(1)).scalars().first()


def take_place(shift_id: int) -> None:
    """Count one more patient on a shift, refusing when full (a conditional update: no double booking)."""
    result = db.session.execute(
        db.update(Shift)
        .where(Shift.id == shift_id, Shift.accepted < Shift.capacity)
        .values(accepted=Shift.accepted + 1)
    )
    if result.rowcount != 1:
        raise Conflict("capacity_full", _l("This shift is full: no more patients can be taken."))


def week_grid(department_id: int, start: date) -> dict:
    """The week view: the department's doctors and, per doctor and day, his shifts."""
    days = [start + timedelta(days=offset) for offset in range(7)]
    doctors = network.list_doctors(department_id=department_id)
    grid = {(d.id, day): [] for d in doctors for day in days}
    for shift in list_shifts(department_id=department_id, start=days[0], end=days[-1]):
        grid.setdefault((shift.doctor_id, shift.day), []).append(shift)
    return {"days": days, "doctors": doctors, "grid": grid}


MAX_SHIFT_SPAN_DAYS = 62  # a doctor reads a few weeks of his rota at a time, not years


def doctor_shifts(user_id: int, start: date | None = None, end: date | None = None) -> list[Shift]:
    """The doctor's own shifts on local days [start, end] (default: this week and the next)."""
    doctor = network.doctor_for_user(user_id)
    if doctor is None:
        raise NotFound("doctor_not_found", _l("Only doctors have a rota."))
    today = clock.today()
    start = start or (end - timedelta(days=13) if end else today - timedelta(days=today.weekday()))
    end = end or start + timedelta(days=13)
    if end < start:
        raise ValidationFailed("invalid_range", _l("The last day comes before the first."), field="to")
    if (end - start).days > MAX_SHIFT_SPAN_DAYS:
        raise ValidationFailed(
            "range_too_long", _l("Ask for at most %(n)s days at a time."), field="to", n=MAX_SHIFT_SPAN_DAYS
        )
    return list_shifts(doctor_id=doctor.id, start=start, end=end)


def my_weeks(user_id: int, first_day: date | None = None) -> dict:
    """A doctor's own shifts of this week and the next (Monday to Sunday), for his rota page."""
    doctor = network.doctor_for_user(user_id)
    if doctor is None:
        raise NotFound("doctor_not_found", _l("Only doctors have a rota."))
    day = first_day or clock.today()
    monday = day - timedelta(days=day.weekday())
    shifts = list_shifts(doctor_id=doctor.id, start=monday, end=monday + timedelta(days=13))
    weeks = [(monday, [s for s in shifts if s.day < monday + timedelta(days=7)])]
    weeks.append((monday + timedelta(days=7), [s for s in shifts if s.day >= monday + timedelta(days=7)]))
    now = clock.now()
    current = next((s for s in shifts if s.starts_at <= now < s.ends_at), None)
    upcoming = next((s for s in shifts if s.starts_at > now), None)
    return {"doctor": doctor, "weeks": weeks, "current": current, "next": upcoming}
