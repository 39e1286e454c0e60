"""Administrator page of the rota: a week per department, add and remove shifts."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, g, render_template, request
from flask_babel import lazy_gettext as _l

from core import clock, nav
from core.auth import page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role
from hospital.models.rota import ShiftKind
from hospital.services import network, rota, statistics

bp = Blueprint("rota_pages", __name__)

nav.add_nav(Role.ADMIN, _l("Rota"), "/admin/rota", order=30)
nav.add_nav(Role.DOCTOR, _l("My shifts"), "/rota", order=50)


def _doctor_home(user) -> dict:
    weeks = rota.my_weeks(user.id)
    doctor = weeks["doctor"]
    return {**weeks, "backlog": statistics.doctor_backlog(doctor.department_id, doctor.id)}


nav.add_home_section(Role.DOCTOR, "hospital/rota/_home_shift.html", _doctor_home, order=30)


def _day(value: str | None, default: date | None = None) -> date:
    try:
        return date.fromisoformat(value) if value else (default or clock.today())
    except ValueError:
        raise ValidationFailed("invalid_date", _l("Enter a date as YYYY-MM-DD."), field="day") from None


def _change(form) -> None:
    if form.get("remove"):
        rota.remove_shift(int(form["remove"]))
    else:
        capacity = int(form["capacity"]) if (form.get("capacity") or "").isdigit() else None
        rota.add_shift(int(form.get("doctor_id") or 0), _day(form.get("day")), form.get("kind", ""), capacity)


@bp.get("/rota")
@page_roles(Role.DOCTOR)
def my_shifts():
    """A doctor's own shifts, this week and the next."""
    return render_template("hospital/rota/mine.html", **rota.my_weeks(g.user.id))


@bp.route("/admin/rota", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def week():
    """The week view of one department; the form adds a shift, a button removes one."""
    departments = network.list_departments()
    department_id = int(request.values.get("department") or departments[0].id)
    try:
        start = _day(request.values.get("week"))
    except AppError:
        start = clock.today()
    error = None
    if request.method == "POST":
        try:
            _change(request.form)
        except AppError as err:
            error = err
    return render_template(
        "hospital/rota/week.html",
        departments=departments,
        department_id=department_id,
        start=start,
        prev_week=start - timedelta(days=7),
        next_week=start + timedelta(days=7),
        week=rota.week_grid(department_id, start),
        kinds=list(ShiftKind),
        times=rota.shift_times(),
        error=error,
        form=request.form if error else {},
        confirm=_shift_to_confirm(request.args.get("confirm", type=int)),
    ), (error.status if error else 200)


def _shift_to_confirm(shift_id: int | None):
    """The shift whose removal the administrator is asked to confirm (on the page, no pop-up)."""
    if not shift_id:
        return None
    try:
        return rota.get_shift(shift_id)
    except AppError:
        return None
