"""Pages of chronic care: the patient's health (readings on a number pad, chart, CSV import),
medicines today, follow-up plan, lab results, bookings; the doctor's department list and patient
panel (alerts live, chart, targets, adherence, plans, labs, referral destination)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from chronic import booking, labs, overview, plans, readings, reminders, targets
from chronic.models import GlucoseContext, ReadingKind
from core import clock, nav
from core.auth import current_user, page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role

bp = Blueprint("chronic_pages", __name__)

nav.add_nav(Role.PATIENT, _l("My health"), "/health", order=15)
nav.add_nav(Role.DOCTOR, _l("Follow-ups and alerts"), "/chronic", order=20)
nav.add_nav(Role.ADMIN, _l("Laboratory results"), "/admin/lab", order=55)
nav.add_home_section(Role.PATIENT, "chronic/_home_patient.html", overview.patient_home, order=5)
nav.add_home_section(Role.DOCTOR, "chronic/_home_doctor.html", overview.doctor_home, order=5)

KIND_LABELS = {
    "blood_pressure": _l("Blood pressure"),
    "glucose": _l("Blood glucose"),
    "weight": _l("Weight"),
}
CONTEXT_LABELS = {"fasting": _l("Fasting"), "after_meal": _l("After a meal"), "random": _l("At random")}
LEVEL_LABELS = {"normal": _l("In target"), "low": _l("Low"), "high": _l("High"), "urgent": _l("Urgent")}
DOSE_LABELS = {"taken": _l("Taken"), "skipped": _l("Skipped"), None: _l("Not marked yet")}
BOOKING_LABELS = {"booked": _l("Booked"), "cancelled": _l("Cancelled")}
ORDER_LABELS = {
    "ordered": _l("Ordered: book a time"),
    "booked": _l("Booked"),
    "resulted": _l("Results back"),
    "cancelled": _l("Cancelled"),
}
FLAG_LABELS = {"N": _l("Normal"), "H": _l("High"), "L": _l("Low")}
# Where a lab result came from (labs.py stores the code).
LAB_SOURCE_LABELS = {
    "order": _l("From a lab order"),
    "network": _l("From the hospital network"),
    "upload": _l("Uploaded by the patient"),
}


@bp.app_context_processor
def labels() -> dict:
    return {
        "chronic_kinds": KIND_LABELS,
        "chronic_contexts": CONTEXT_LABELS,
        "chronic_levels": LEVEL_LABELS,
        "chronic_doses": DOSE_LABELS,
        "chronic_bookings": BOOKING_LABELS,
        "chronic_orders": ORDER_LABELS,
        "chronic_flags": FLAG_LABELS,
        "chronic_lab_sources": LAB_SOURCE_LABELS,
        "plan_label": plans.label,
        "chronic_open_flags": readings.open_flags,
        "lab_name": labs.test_name,
    }


def _number(form, name: str) -> float | None:
    text = (form.get(name) or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed("not_a_number", _l("Please enter a number."), field=name) from None


def _local_time(form, name: str) -> datetime | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("bad_time", _l("Please enter a date and time."), field=name) from None
    return value if value.tzinfo else value.replace(tzinfo=clock.local_tz())


def _reading_input(form) -> readings.ReadingInput:
    return readings.ReadingInput(
        kind=form.get("kind", ""),
        measured_at=_local_time(form, "measured_at"),
        systolic=_number(form, "systolic"),
        diastolic=_number(form, "diastolic"),
        pulse=_number(form, "pulse"),
        value=_number(form, "value"),
        context=form.get("context") or None,
    )


# --- the patient's pages ------------------------------------------------------------------------


def _health(error=None, status=200):
    user = current_user()
    kind = request.form.get("kind") or request.args.get("kind")
    page = overview.health(user, kind, request.args.get("days", type=int), request.args.get("reading", type=int))
    return render_template(
        "chronic/health.html",
        **page,
        error=error,
        form=request.form,
        contexts=list(GlucoseContext),
        kinds=list(ReadingKind),
        now_local=clock.local_now().strftime("%Y-%m-%dT%H:%M"),
    ), status


@bp.get("/health")
@page_roles(Role.PATIENT)
def health():
    """My health: record a reading, see what to do, the chart for 7/30/90 days."""
    return _health()


@bp.post("/health/readings")
@page_roles(Role.PATIENT)
def record_reading():
    try:
        reading = readings.record_reading(current_user(), _reading_input(request.form))
    except AppError as err:
        return _health(err, err.status)
    return redirect(url_for("chronic_pages.health", kind=reading.kind, reading=reading.id) + "#just-recorded")


@bp.post("/health/import")
@page_roles(Role.PATIENT)
def import_readings():
    upload = request.files.get("file")
    try:
        result = readings.import_csv(current_user(), upload.read() if upload else b"")
    except AppError as err:
        return _health(err, err.status)
    return redirect(url_for("chronic_pages.health", imported=result["imported"], skipped=result["skipped"]))


@bp.get("/health/medicines")
@page_roles(Role.PATIENT)
def medicines():
    """Today's doses with taken/skipped, adherence over 30 days, medicines running out."""
    return render_template("chronic/medicines.html", **overview.medicines(current_user()), error=None)


@bp.post("/health/doses")
@page_roles(Role.PATIENT)
def mark_dose():
    try:
        scheduled_at = datetime.fromisoformat(request.form.get("scheduled_at", ""))
        reminders.mark_dose(
            current_user(), request.form.get("item_id", type=int) or 0, scheduled_at, request.form.get("status", "")
        )
    except ValueError:
        err = ValidationFailed("bad_time", _l("Please enter a date and time."), field="scheduled_at")
        return render_template("chronic/medicines.html", **overview.medicines(current_user()), error=err), 422
    except AppError as err:
        return render_template("chronic/medicines.html", **overview.medicines(current_user()), error=err), err.status
    return redirect(url_for("chronic_pages.medicines") + "#doses")


@bp.get("/health/plan")
@page_roles(Role.PATIENT)
def my_plan():
    """My follow-up plan: items due and overdue."""
    user = current_user()
    return render_template("chronic/plan.html", items=plans.items_for(user, user.id))


def _labs(error=None, status=200):
    return render_template(
        "chronic/labs.html", **overview.labs_page(current_user()), error=error, form=request.form
    ), status


@bp.get("/health/labs")
@page_roles(Role.PATIENT)
def my_labs():
    """Lab results by test with their trend; enter a report; lab tests ordered and their booking."""
    return _labs()


@bp.post("/health/labs")
@page_roles(Role.PATIENT)
def upload_lab():
    form = request.form
    upload = request.files.get("report")
    try:
        taken_on = date.fromisoformat(form.get("taken_on", ""))
    except ValueError:
        return _labs(ValidationFailed("bad_date", _l("Please enter a date."), field="taken_on"), 422)
    try:
        data = labs.ResultInput(form.get("code", ""), _number(form, "value"), taken_on, form.get("hospital_name", ""))
        labs.upload_result(current_user(), data, upload.read() if upload and upload.filename else None)
    except AppError as err:
        return _labs(err, err.status)
    return redirect(url_for("chronic_pages.my_labs", uploaded=1))


@bp.get("/bookings")
@page_roles(Role.PATIENT)
def my_bookings():
    """Referrals waiting for a booking, and my bookings."""
    return render_template("chronic/bookings.html", **overview.bookings_page(current_user()))


def _new_booking(error=None, status=200):
    args = request.values
    page = overview.new_booking(
        current_user(),
        args.get("consultation", type=int),
        args.get("lab_order", type=int),
        args.get("department", type=int),
    )
    return render_template("chronic/booking_new.html", **page, error=error), status


@bp.get("/bookings/new")
@page_roles(Role.PATIENT)
def new_booking():
    """Choose a 30-minute slot of the referral's department (or a laboratory for ordered tests)."""
    return _new_booking()


@bp.post("/bookings/new")
@page_roles(Role.PATIENT)
def book():
    form = request.form
    try:
        row = booking.book(
            current_user(),
            form.get("slot_id", type=int) or 0,
            form.get("consultation", type=int),
            form.get("lab_order", type=int),
        )
    except AppError as err:
        return _new_booking(err, err.status)
    return redirect(url_for("chronic_pages.booking_detail", booking_id=row.id))


@bp.get("/bookings/<int:booking_id>")
@page_roles(Role.PATIENT, Role.DOCTOR, Role.ADMIN)
def booking_detail(booking_id: int):
    """The confirmation with its QR code; the patient may cancel."""
    return render_template("chronic/booking.html", booking=booking.get_booking(current_user(), booking_id), error=None)


@bp.get("/bookings/<int:booking_id>/qr.svg")
@page_roles(Role.PATIENT, Role.DOCTOR, Role.ADMIN)
def booking_qr(booking_id: int):
    return Response(booking.qr_svg(booking.get_booking(current_user(), booking_id)), mimetype="image/svg+xml")


@bp.post("/bookings/<int:booking_id>/cancel")
@page_roles(Role.PATIENT)
def cancel_booking(booking_id: int):
    try:
        booking.cancel(current_user(), booking_id)
    except AppError as err:
        row = booking.get_booking(current_user(), booking_id)
        return render_template("chronic/booking.html", booking=row, error=err), err.status
    return redirect(url_for("chronic_pages.booking_detail", booking_id=booking_id))


# --- the doctor's pages -------------------------------------------------------------------------


@bp.get("/chronic")
@page_roles(Role.DOCTOR)
def department():
    """The department's list: urgent alerts (live), trend flags, follow-up items due or overdue."""
    return render_template("chronic/department.html", **overview.department(current_user()))


def _panel(patient_id: int, error=None, status=200):
    args = request.values
    page = overview.panel(
        current_user(), patient_id, args.get("kind"), args.get("days", type=int), args.get("consultation", type=int)
    )
    return render_template(
        "chronic/panel.html", **page, error=error, form=request.form, target_labels=targets.LABELS
    ), status


@bp.get("/chronic/patients/<int:patient_id>")
@page_roles(Role.DOCTOR, Role.ADMIN)
def panel(patient_id: int):
    """The patient between visits: alerts, chart, targets, adherence, follow-up plan, lab results."""
    return _panel(patient_id)


def _panel_action(patient_id: int, action):
    try:
        action(current_user(), request.form)
    except AppError as err:
        return _panel(patient_id, err, err.status)
    args = {k: v for k, v in (("consultation", request.form.get("consultation")),) if v}
    return redirect(url_for("chronic_pages.panel", patient_id=patient_id, done=1, **args))


def _plan_from(form) -> list[plans.ItemInput]:
    return [plans.ItemInput(form.get("kind", ""), int(_number(form, "interval_days") or 0))]


@bp.post("/chronic/patients/<int:patient_id>/<action>")
@page_roles(Role.DOCTOR)
def panel_act(patient_id: int, action: str):
    """Panel actions: acknowledge an alert, set targets, add a plan item, confirm a result, order tests,
    choose the referral's destination."""
    actions = {
        "acknowledge": lambda user, form: readings.acknowledge(user, form.get("alert_id", type=int) or 0),
        "targets": lambda user, form: targets.set_targets(
            user, patient_id, {k: _number(form, k) for k in targets.DEFAULTS if form.get(k)}
        ),
        "plan": lambda user, form: plans.create_plan(user, patient_id, _plan_from(form), form.get("note", "")),
        "confirm": lambda user, form: labs.confirm_result(user, form.get("result_id", type=int) or 0),
        "order": lambda user, form: labs.order_tests(
            user, form.get("consultation", type=int) or 0, form.getlist("tests")
        ),
        "destination": lambda user, form: booking.choose_destination(
            user, form.get("consultation", type=int) or 0, form.get("department_id", type=int) or 0
        ),
    }
    if action not in actions:
        return _panel(patient_id, ValidationFailed("unknown_action", _l("Unknown action."), field="action"), 404)
    return _panel_action(patient_id, actions[action])


# --- the laboratory (an administrator of the network) ------------------------------------------


def _lab_worklist(error=None, status=200):
    return render_template(
        "chronic/lab_worklist.html",
        orders=labs.booked_orders(current_user()),
        error=error,
        today=clock.today(),
        form=request.form,
    ), status


@bp.get("/admin/lab")
@page_roles(Role.ADMIN)
def lab_worklist():
    """Booked lab orders waiting for results; entering them sends them to the record and the doctor."""
    return _lab_worklist()


def _results_from(form, codes: list[str]) -> list[labs.ResultInput]:
    taken_on = date.fromisoformat(form.get("taken_on") or clock.today().isoformat())
    return [
        labs.ResultInput(code, _number(form, f"value_{code}"), taken_on, form.get("hospital_name", ""))
        for code in codes
    ]


@bp.post("/admin/lab/<int:order_id>")
@page_roles(Role.ADMIN)
def lab_results(order_id: int):
    user = current_user()
    try:
        order = labs.get_order(user, order_id)
        labs.record_order_results(user, order_id, _results_from(request.form, order.tests))
    except ValueError:
        return _lab_worklist(ValidationFailed("bad_date", _l("Please enter a date."), field="taken_on"), 422)
    except AppError as err:
        return _lab_worklist(err, err.status)
    return redirect(url_for("chronic_pages.lab_worklist", done=order_id))
