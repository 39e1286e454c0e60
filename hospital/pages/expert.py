"""Pages of expert consultations (list and request, the room, administrators' activity) and the
call page of a consultation."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core import clock, nav
from core.auth import current_user, page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role
from hospital.models.network import DoctorTitle
from hospital.schemas.expert import panel_of
from hospital.services import calls, expert, network

bp = Blueprint("expert_pages", __name__)

nav.add_nav(Role.DOCTOR, _l("Expert consultations"), "/expert-cases", order=60)
nav.add_nav(Role.ADMIN, _l("Expert panel activity"), "/admin/expert-activity", order=60)

ALL_ROLES = (Role.DOCTOR, Role.ADMIN, Role.PATIENT)


def _expert_home(user) -> dict:
    return {"cases": expert.upcoming_cases_for(user)}


nav.add_home_section(Role.DOCTOR, "hospital/expert/_home_cases.html", _expert_home, order=40)


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _local_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=clock.local_tz())
    except ValueError:
        raise ValidationFailed(
            "invalid_time", _l("Enter the time as YYYY-MM-DD HH:MM."), field="scheduled_at"
        ) from None


def _case_request(form) -> expert.CaseRequest:
    return expert.CaseRequest(
        patient_phone=form.get("patient_phone", "").strip(),
        title=form.get("title", ""),
        summary=form.get("summary", ""),
        questions=form.get("questions", "").splitlines(),
        expert_ids=_ints(form.getlist("expert_ids")),
        leader_id=int(form.get("leader_id") or 0),
        scheduled_at=_local_time(form.get("scheduled_at")),
        urgent=form.get("urgent") == "1",
        urgent_department_ids=_ints(form.getlist("urgent_department_ids")),
        records_consent=form.get("records_consent") == "1",
        consent_note=form.get("consent_note", ""),
        mode=form.get("mode") or "consultation",
        presenter_ids=_ints(form.getlist("presenter_ids")),
        audience_hospital_ids=_ints(form.getlist("audience_hospital_ids")),
    )


@bp.route("/expert-cases", methods=["GET", "POST"])
@page_roles(*ALL_ROLES)
def cases():
    """The cases the user sees and, for doctors, the request form with the expert search."""
    user, error = current_user(), None
    if request.method == "POST":
        try:
            case = expert.request_case(user, _case_request(request.form))
            return redirect(url_for("expert_pages.case_page", case_id=case.id))
        except AppError as err:
            error = err
    return render_template(
        "hospital/expert/cases.html",
        cases=expert.list_cases_for(user),
        error=error,
        form=request.form if error else {},
        hospitals=network.list_hospitals(),
        departments=network.list_departments(),
        titles=list(DoctorTitle),
    )


@bp.get("/expert-cases/<int:case_id>")
@page_roles(*ALL_ROLES)
def case_page(case_id: int):
    """The room: stage, audio, chat, materials, presence, queue, opinions and the conclusion."""
    user = current_user()
    return _render_room(user, expert.get_case_for(user, case_id))


def _render_room(user, case, error=None, failed_action=None, form=None):
    """The room page; after a refused form action, with the error next to that form."""
    return render_template(
        "hospital/expert/room.html",
        case=case,
        role=expert.role_in_case(user, case),
        writes_opinions=expert.writes_opinions(user, case),
        panel=panel_of(case),
        materials=expert.list_materials(case.id),
        opinions=expert.list_opinions(user, case.id),
        records=expert.patient_records(user, case),
        error=error,
        failed_action=failed_action,
        form=form,
        history=expert.events_for(user, case.id, 0, ("message",))[-100:],
    )


def _act(case_id: int, action: str, form, files):
    user = current_user()
    actions = {
        "accept": lambda: expert.answer_invitation(user, case_id, True),
        "decline": lambda: expert.answer_invitation(user, case_id, False, form.get("reason", "")),
        "start": lambda: expert.start_session(user, case_id),
        "cancel": lambda: expert.cancel_case(user, case_id),
        "close": lambda: expert.close_case(user, case_id),
        "consent": lambda: expert.record_consent(user, case_id, form.get("consent_note", "")),
        "opinion": lambda: expert.add_opinion(user, case_id, form.get("text", "")),
        "conclusion": lambda: expert.conclude(
            user, case_id, form.get("diagnosis", ""), form.get("treatment_advice", ""), form.getlist("answers")
        ),
        "material": lambda: _upload(user, case_id, form, files),
    }
    if action not in actions:
        raise ValidationFailed("unknown_action", _l("Unknown action."))
    actions[action]()


def _upload(user, case_id: int, form, files):
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed("file_required", _l("Choose a file."), field="file")
    return expert.add_material(
        user, case_id, form.get("kind", ""), form.get("title", ""), upload.filename, upload.read()
    )


@bp.post("/expert-cases/<int:case_id>/<action>")
@page_roles(Role.DOCTOR, Role.PATIENT)
def case_action(case_id: int, action: str):
    """Form actions of the room page; an error is shown on the page next to its form."""
    try:
        _act(case_id, action, request.form, request.files)
    except AppError as err:
        user = current_user()
        case = expert.get_case_for(user, case_id)
        return _render_room(user, case, err, action, request.form), err.status
    return redirect(url_for("expert_pages.case_page", case_id=case_id) + ("#opinions" if action == "opinion" else ""))


@bp.get("/admin/expert-activity")
@page_roles(Role.ADMIN)
def activity():
    """Administrators: cases by status and hospital, and the activity of each room."""
    return render_template("hospital/expert/activity.html", activity=expert.activity(current_user()))


@bp.get("/calls/<int:consultation_id>")
@page_roles(Role.DOCTOR, Role.PATIENT)
def call_page(consultation_id: int):
    """A consultation's call on its own page (the consultation page also includes the panel)."""
    user = current_user()
    history = calls.list_calls(user, consultation_id)
    consultation = calls.consultation_for(user, consultation_id)
    return render_template("hospital/calls/call.html", consultation=consultation, calls=history)
