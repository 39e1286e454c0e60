"""Administrator page of the rota: a week per department, add and remove shifts."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from core import clock, nav
from core.auth import page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role
from hospital.models.rota import ShiftKind
from hospital.services import network, rota

bp = Blueprint("rota_pages", __name__, url_prefix="/admin")

nav.add_nav(Role.ADMIN, _l("Rota"), "/admin/rota", order=30)


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


@bp.route("/rota", methods=["GET", "POST"])
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
    ), (error.status if error else 200)
