"""Pages of a patient's clinical background: the patient's "my health record" (claim a diagnosis
with a photo of the in-person record, see why one was rejected, record allergies) and the doctor's
clinical record of a consultation's patient (open the record, confirm or reject a claimed
diagnosis, mark a chronic one stable, record allergies)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role
from hospital import status_words as words
from hospital.models.patients import AllergySource, DiagnosisStatus
from hospital.services import allergies, clinical, diagnoses

bp = Blueprint("clinical_pages", __name__)

nav.add_nav(Role.PATIENT, _l("My health record"), "/my/health", order=25)

SOURCE_LABELS = {
    AllergySource.PATIENT_REPORTED: _l("reported by the patient"),
    AllergySource.DOCTOR_CONFIRMED: _l("confirmed by a doctor"),
}
STATUS_LABELS = {
    DiagnosisStatus.CONFIRMED: _l("Confirmed"),
    DiagnosisStatus.CLAIMED: _l("Waiting for a doctor to confirm"),
    DiagnosisStatus.REJECTED: _l("Not confirmed"),
}


@bp.app_context_processor
def _inject() -> dict:
    return {
        "allergy_severity": lambda code: str(words.ALLERGY_SEVERITY.get(code, code)),
        "allergy_source": lambda code: str(SOURCE_LABELS.get(code, code)),
        "diagnosis_status": lambda code: str(STATUS_LABELS.get(code, code)),
        "allergy_severities": words.ALLERGY_SEVERITY,
    }


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationFailed("invalid_date", _l("Enter a date as YYYY-MM-DD."), field="diagnosed_on") from None


def _allergy_input(consultation_id: int | None = None) -> allergies.AllergyInput:
    """The allergen is the chosen catalogue group, or the typed text when "other" is chosen."""
    chosen = request.form.get("allergen", "")
    allergen = request.form.get("allergen_other", "") if chosen in ("", "other") else chosen
    return allergies.AllergyInput(
        allergen, request.form.get("reaction", ""), request.form.get("severity", "moderate"), consultation_id
    )


# --- the patient ----------------------------------------------------------------------------------


def _my_page(error: AppError | None = None, form: dict | None = None):
    record = clinical.my_record(g.user)
    status = error.status if error else 200
    return render_template("hospital/clinical/my_health.html", record=record, error=error, form=form or {}), status


@bp.get("/my/health")
@page_roles(Role.PATIENT)
def my_health():
    return _my_page()


@bp.post("/my/health/diagnoses")
@page_roles(Role.PATIENT)
def claim_diagnosis():
    """Claim a diagnosis with the photo of the in-person record, in one step."""
    upload = request.files.get("record")
    try:
        diagnoses.claim_diagnosis(
            g.user,
            request.form.get("hospital_name", ""),
            request.form.get("diagnosis", ""),
            request.form.get("icd10", ""),
            _date(request.form.get("diagnosed_on")),
            upload.read() if upload else None,
        )
    except AppError as err:
        return _my_page(err, request.form)
    return redirect(url_for("clinical_pages.my_health", _anchor="diagnoses"))


@bp.post("/my/health/diagnoses/<int:diagnosis_id>/record")
@page_roles(Role.PATIENT)
def upload_record(diagnosis_id: int):
    upload = request.files.get("record")
    try:
        diagnoses.attach_record(g.user, diagnosis_id, upload.read() if upload else b"")
    except AppError as err:
        return _my_page(err)
    return redirect(url_for("clinical_pages.my_health", _anchor="diagnoses"))


@bp.post("/my/health/allergies")
@page_roles(Role.PATIENT)
def my_allergy():
    try:
        allergies.record_allergy(g.user, g.user.id, _allergy_input())
    except AppError as err:
        return _my_page(err, request.form)
    return redirect(url_for("clinical_pages.my_health", _anchor="allergies"))


@bp.post("/my/health/allergies/<int:allergy_id>")
@page_roles(Role.PATIENT)
def edit_my_allergy(allergy_id: int):
    """Change an allergy's reaction or severity, or withdraw a mistaken one."""
    try:
        allergies.update_allergy(g.user, allergy_id, _allergy_input(), request.form.get("withdraw") != "1")
    except AppError as err:
        return _my_page(err)
    return redirect(url_for("clinical_pages.my_health", _anchor="allergies"))


@bp.get("/diagnoses/<int:diagnosis_id>/record")
@page_roles(Role.PATIENT, Role.DOCTOR)
def record_image(diagnosis_id: int):
    """The uploaded in-person record; a doctor's opening of it is audited (and lets him confirm)."""
    path, mime = diagnoses.record_file(g.user, diagnosis_id)
    return send_file(path, mimetype=mime, max_age=0)


# --- the doctor -----------------------------------------------------------------------------------


def _doctor_page(consultation_id: int, error: AppError | None = None, target: int | None = None):
    record = clinical.consultation_record(g.user, consultation_id)
    status = error.status if error else 200
    return render_template(
        "hospital/clinical/consultation_record.html", record=record, error=error, target=target
    ), status


def _back(consultation_id: int, anchor: str):
    return redirect(url_for("clinical_pages.consultation_record", consultation_id=consultation_id, _anchor=anchor))


@bp.get("/consultations/<int:consultation_id>/clinical")
@page_roles(Role.DOCTOR)
def consultation_record(consultation_id: int):
    return _doctor_page(consultation_id)


@bp.post("/consultations/<int:consultation_id>/clinical/diagnoses/<int:diagnosis_id>/<action>")
@page_roles(Role.DOCTOR)
def decide_diagnosis(consultation_id: int, diagnosis_id: int, action: str):
    """confirm / reject (with the reason the patient reads) / stable / unstable."""
    try:
        if action == "confirm":
            diagnoses.confirm_diagnosis(g.user, diagnosis_id, consultation_id, request.form.get("chronic") == "1")
        elif action == "reject":
            diagnoses.reject_diagnosis(g.user, diagnosis_id, consultation_id, request.form.get("reason", ""))
        elif action in ("stable", "unstable"):
            diagnoses.mark_stable(g.user, diagnosis_id, consultation_id, action == "stable")
        else:
            raise ValidationFailed("invalid_action", _l("Choose confirm, reject or stable."), field="action")
    except AppError as err:
        return _doctor_page(consultation_id, err, diagnosis_id)
    return _back(consultation_id, f"diagnosis-{diagnosis_id}")


@bp.post("/consultations/<int:consultation_id>/clinical/allergies")
@page_roles(Role.DOCTOR)
def doctor_allergy(consultation_id: int):
    try:
        allergies.record_in_consultation(g.user, _allergy_input(consultation_id))
    except AppError as err:
        return _doctor_page(consultation_id, err)
    return _back(consultation_id, "allergies")
