"""Administrator pages for the network: hospitals, departments, doctors."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role
from hospital.models.network import DoctorTitle
from hospital.services import network

bp = Blueprint("network_pages", __name__, url_prefix="/admin")

nav.add_nav(Role.ADMIN, _l("Hospitals"), "/admin/hospitals", order=10)
nav.add_nav(Role.ADMIN, _l("Doctors"), "/admin/doctors", order=20)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.route("/hospitals", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def hospitals():
    form, error = request.form, None
    if request.method == "POST":
        try:
            if form.get("kind") == "department":
                network.create_department(
                    _int(form.get("hospital_id")) or 0,
                    form.get("code", ""),
                    form.get("name_zh", ""),
                    form.get("name_en", ""),
                )
            else:
                network.create_hospital(
                    form.get("code", ""),
                    form.get("name_zh", ""),
                    form.get("name_en", ""),
                    form.get("level", "member"),
                    form.get("city", ""),
                )
        except AppError as err:
            error = err
    return render_template(
        "hospital/network/hospitals.html", hospitals=network.list_hospitals(), form=form if error else {}, error=error
    )


@bp.get("/hospitals/<int:hospital_id>")
@page_roles(Role.ADMIN)
def hospital_detail(hospital_id: int):
    hospital = network.get_hospital(hospital_id)
    return render_template(
        "hospital/network/hospital.html", hospital=hospital, doctors=network.list_doctors(hospital_id=hospital_id)
    )


def _parse_date(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValidationFailed("invalid_date", _l("Enter a date as YYYY-MM-DD."), field="practice_since") from None


@bp.route("/doctors", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def doctors():
    form, error = request.form, None
    if request.method == "POST":
        try:
            network.create_doctor(
                form.get("username", ""),
                form.get("name", ""),
                form.get("password", ""),
                _int(form.get("hospital_id")) or 0,
                _int(form.get("department_id")) or 0,
                form.get("title", ""),
                _parse_date(form.get("practice_since")),
                form.get("phone") or None,
            )
        except AppError as err:
            error = err
    department = _int(request.args.get("department"))
    return render_template(
        "hospital/network/doctors.html",
        doctors=network.list_doctors(department_id=department),
        hospitals=network.list_hospitals(),
        departments=network.list_departments(),
        titles=list(DoctorTitle),
        selected_department=department,
        form=form if error else {},
        error=error,
    )
