"""Pages of consultations: the patient's list and request form, the consultation (chat) page,
and the doctor's workbench with the live queue."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role
from hospital.models.consultations import ConsultationMode, ConsultationStatus
from hospital.services import chat, patients, renewal
from hospital.services import consultation_access as access
from hospital.services import consultation_handover as shifts
from hospital.services import consultation_history as history
from hospital.services import consultation_images as images
from hospital.services import consultation_machine as machine
from hospital.services import consultation_records as records
from hospital.services import consultations as svc

bp = Blueprint("consultation_pages", __name__)
bp.add_app_template_filter(patients.allergen_label, "allergen")

nav.add_nav(Role.PATIENT, _l("My consultations"), "/consultations", order=20)
nav.add_nav(Role.DOCTOR, _l("Workbench"), "/doctor", order=10)


def _open_consultations(user) -> dict:
    rows = [c for c in svc.list_for(user) if c.status in machine.OPEN]
    return {"open_consultations": rows}


nav.add_home_section(Role.PATIENT, "hospital/consultations/_home_open.html", _open_consultations, order=20)


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("invalid_date", _l("Enter a date as YYYY-MM-DD."), field=field) from None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _request_from_form(form) -> dict:
    """The request form as the service's request dict (a new diagnosis when one is typed in)."""
    data = {
        "department_id": _int(form.get("department_id")) or 0,
        "diagnosis_id": _int(form.get("diagnosis_id")),
        "mode": form.get("mode", "text"),
        "complaint": form.get("complaint", ""),
        "doctor_id": _int(form.get("doctor_id")),
        "guardian": {
            "name": form.get("guardian_name", ""),
            "relation": form.get("guardian_relation", ""),
            "phone": form.get("guardian_phone", ""),
        },
    }
    if form.get("diagnosis_id") == "new":
        data["new_diagnosis"] = {
            "hospital_name": form.get("hospital_name"),
            "diagnosis": form.get("diagnosis"),
            "icd10": form.get("icd10"),
            "diagnosed_on": _date(form.get("diagnosed_on"), "diagnosed_on"),
        }
    return data


@bp.get("/consultations")
@page_roles(Role.PATIENT, Role.DOCTOR, Role.ADMIN)
def my_consultations():
    """The patient's (or doctor's) consultations, newest first."""
    if g.user.role == Role.DOCTOR and not request.args.get("all"):
        return redirect(url_for("consultation_pages.workbench"))
    return render_template("hospital/consultations/list.html", consultations=svc.list_for(g.user))


@bp.route("/consultations/new", methods=["GET", "POST"])
@page_roles(Role.PATIENT)
def new_consultation():
    """The diagnosis first (an in-person visit confirmed it); the department follows from it; who
    is on duty there; what brings the patient today."""
    form, error = request.form, None
    if request.method == "POST":
        try:
            data = renewal.with_department(g.user, _request_from_form(form))
            consultation = svc.request_consultation(g.user, data)
            for upload in request.files.getlist("photos"):
                if upload and upload.filename:
                    images.add_image(g.user, consultation.id, upload.read(), upload.filename)
        except AppError as err:
            error = err
        else:
            return redirect(url_for("consultation_pages.detail", consultation_id=consultation.id))
    departments, diagnoses, picked = renewal.departments_by_diagnosis(g.user)
    if not form and len(diagnoses) == 1:  # one sensible answer: nothing to choose
        form = {"diagnosis_id": str(diagnoses[0].id), "department_id": str(picked.get(diagnoses[0].id, ""))}
    return render_template(
        "hospital/consultations/new.html",
        form=form or {},
        error=error,
        departments=departments,
        diagnoses=diagnoses,
        picked=picked,
        child=patients.is_young_child(g.user),
        modes=list(ConsultationMode),
        renew=request.args.get("renew") == "1",
    ), (422 if error else 200)


@bp.get("/consultations/<int:consultation_id>")
@page_roles(Role.PATIENT, Role.DOCTOR, Role.ADMIN, Role.PHARMACIST)
def detail(consultation_id: int):
    """The consultation: chat, status, actions, the record; the doctor also sees the history."""
    return _render_detail(svc.open_consultation(g.user, consultation_id))


def _render_detail(consultation, error: AppError | None = None):
    doctor = access.doctor_of(g.user)
    participant = access.is_participant(g.user, consultation)
    in_queue = doctor is not None and access.in_queue_of(doctor, consultation)
    page = render_template(
        "hospital/consultations/detail.html",
        consultation=consultation,
        S=ConsultationStatus,
        is_patient=g.user.id == consultation.patient_id,
        is_doctor=doctor is not None and consultation.doctor_id == doctor.id and participant,
        in_queue=in_queue,
        participant=participant,
        record=records.record_of(consultation.id),
        messages=chat.messages_since(g.user, consultation.id, 0) if participant or in_queue else [],
        history=history.patient_history(g.user, consultation.patient_id) if doctor is not None else None,
        error=error,
        form=request.form if error else {},
    )
    return page, (error.status if error else 200)


ACTIONS = {
    "accept": lambda user, cid, form: svc.accept(user, cid),
    "cancel": lambda user, cid, form: svc.cancel(user, cid, form.get("reason", "")),
    "record": lambda user, cid, form: records.save_record(user, cid, _record(form)),
    "complete": lambda user, cid, form: svc.complete(user, cid, _record(form)),
    "refer": lambda user, cid, form: svc.refer_offline(user, cid, form.get("reason", ""), _record(form)),
    "keep": lambda user, cid, form: shifts.handover(user, cid, keep=True),
    "handover": lambda user, cid, form: shifts.handover(user, cid, _int(form.get("to_doctor_id"))),
}


def _record(form) -> dict:
    return {k: form.get(k) for k in records.RECORD_FIELDS if form.get(k) is not None}


@bp.post("/consultations/<int:consultation_id>/<action>")
@page_roles(Role.PATIENT, Role.DOCTOR)
def act(consultation_id: int, action: str):
    """Form actions (they work without JavaScript); an error is shown on the page in words."""
    if action not in ACTIONS:
        return redirect(url_for("consultation_pages.detail", consultation_id=consultation_id))
    try:
        ACTIONS[action](g.user, consultation_id, request.form)
    except AppError as err:
        if err.status == 404:
            raise
        return _detail_with_error(consultation_id, err)
    return redirect(url_for("consultation_pages.detail", consultation_id=consultation_id))


def _detail_with_error(consultation_id: int, err: AppError):
    return _render_detail(access.get_consultation_for(g.user, consultation_id), err)


@bp.get("/doctor")
@page_roles(Role.DOCTOR)
def workbench():
    """The doctor's workbench: his shift, the live queue, his open consultations."""
    queue = svc.queue_for(g.user)
    return render_template("hospital/consultations/workbench.html", queue=queue, S=ConsultationStatus)
