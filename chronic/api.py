"""API of chronic care between visits: readings, targets, alerts, doses, plans, labs, slots, bookings."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from chronic import booking, labs, plans, readings, reminders, targets
from chronic.schemas import (
    AdherenceSchema,
    AlertSchema,
    BookingInSchema,
    BookingSchema,
    BookingVerifySchema,
    CatalogueEntrySchema,
    CsvUploadSchema,
    DestinationSchema,
    DoseMarkSchema,
    DoseSchema,
    ImportResultSchema,
    LabOrderInSchema,
    LabOrderResultsSchema,
    LabOrderSchema,
    LabQuerySchema,
    LabResultInSchema,
    LabResultSchema,
    PlanInSchema,
    PlanItemSchema,
    PlanSchema,
    ReadingInSchema,
    ReadingQuerySchema,
    ReadingResultSchema,
    ReadingSchema,
    ReferralSchema,
    SlotPublishSchema,
    SlotQuerySchema,
    SlotSchema,
    TargetsSchema,
    TrendPointSchema,
    TrendQuerySchema,
)
from core.auth import require_user, roles_required
from core.models import Role

blp = Blueprint("chronic", __name__, url_prefix="/api/chronic", description="Chronic care between visits")


# --- readings, targets, alerts --------------------------------------------------------------------


@blp.post("/readings")
@roles_required(Role.PATIENT)
@blp.arguments(ReadingInSchema)
@blp.response(201, ReadingResultSchema)
def record_reading(data):
    """Record a home reading; impossible values are refused naming the field; the answer says what to do."""
    return readings.record_reading(require_user(), readings.ReadingInput(**data))


@blp.post("/readings/import")
@roles_required(Role.PATIENT)
@blp.arguments(CsvUploadSchema, location="files")
@blp.response(201, ImportResultSchema)
def import_readings(files):
    """Import a home device's CSV export (header: measured_at,kind,systolic,diastolic,pulse,value,unit,context)."""
    return readings.import_csv(require_user(), files["file"].read())


@blp.get("/patients/<int:patient_id>/readings")
@blp.arguments(ReadingQuerySchema, location="query")
@blp.response(200, ReadingSchema(many=True))
def list_readings(query, patient_id):
    """The patient's readings of the last 7, 30 or 90 days (his own, or a doctor who looks after him)."""
    return readings.readings_for(require_user(), patient_id, query["days"], query["kind"])


@blp.get("/patients/<int:patient_id>/targets")
@blp.response(200, TargetsSchema)
def get_targets(patient_id):
    """His target band and alert thresholds (guideline defaults until his doctor changes them)."""
    return targets.targets_for(require_user(), patient_id)


@blp.put("/patients/<int:patient_id>/targets")
@roles_required(Role.DOCTOR)
@blp.arguments(TargetsSchema)
@blp.response(200, TargetsSchema)
def set_targets(data, patient_id):
    """His doctor changes thresholds (any subset)."""
    return targets.set_targets(require_user(), patient_id, data)


@blp.get("/patients/<int:patient_id>/alerts")
@blp.response(200, AlertSchema(many=True))
def patient_alerts(patient_id):
    """Urgent alerts and trend flags raised by his readings."""
    return readings.alerts_for_patient(require_user(), patient_id)


@blp.get("/alerts")
@roles_required(Role.DOCTOR)
@blp.response(200, AlertSchema(many=True))
def department_alerts():
    """Open alerts and trend flags of the doctor's department."""
    return readings.department_alerts(require_user())


@blp.post("/alerts/<int:alert_id>/acknowledge")
@roles_required(Role.DOCTOR)
@blp.response(200, AlertSchema)
def acknowledge_alert(alert_id):
    """Mark an alert seen (one doctor does; a second is told it was already seen)."""
    return readings.acknowledge(require_user(), alert_id)


# --- medication reminders ---------------------------------------------------------------------


@blp.get("/doses/today")
@roles_required(Role.PATIENT)
@blp.response(200, DoseSchema(many=True))
def doses_today():
    """Today's doses from his active prescriptions, with his marks."""
    return reminders.today_for(require_user())


@blp.post("/doses")
@roles_required(Role.PATIENT)
@blp.arguments(DoseMarkSchema)
@blp.response(200, DoseSchema)
def mark_dose(data):
    """Mark a scheduled dose taken or skipped."""
    return reminders.mark_dose(require_user(), data["item_id"], data["scheduled_at"], data["status"])


@blp.get("/patients/<int:patient_id>/adherence")
@blp.response(200, AdherenceSchema)
def adherence(patient_id):
    """Doses taken of the doses due over the last 30 days."""
    return reminders.adherence(require_user(), patient_id)


# --- follow-up plans --------------------------------------------------------------------------


@blp.post("/patients/<int:patient_id>/plans")
@roles_required(Role.DOCTOR)
@blp.arguments(PlanInSchema)
@blp.response(201, PlanSchema)
def create_plan(data, patient_id):
    """Set a follow-up plan (随访计划) of recurring items."""
    items = [plans.ItemInput(**item) for item in data["items"]]
    return plans.create_plan(require_user(), patient_id, items, data["note"])


@blp.get("/patients/<int:patient_id>/plan-items")
@blp.response(200, PlanItemSchema(many=True))
def plan_items(patient_id):
    """His plan items, soonest due first; overdue ones say so."""
    return plans.items_for(require_user(), patient_id)


@blp.get("/follow-ups")
@roles_required(Role.DOCTOR)
@blp.response(200, PlanItemSchema(many=True))
def department_follow_ups():
    """The department's list: plan items due within a week or overdue."""
    return plans.department_due(require_user())


# --- lab results and orders -------------------------------------------------------------------


@blp.get("/lab-catalogue")
@blp.response(200, CatalogueEntrySchema(many=True))
def lab_catalogue():
    """The short catalogue of tests a doctor orders from."""
    return labs.catalogue()


@blp.get("/patients/<int:patient_id>/lab-results")
@blp.arguments(LabQuerySchema, location="query")
@blp.response(200, LabResultSchema(many=True))
def lab_results(query, patient_id):
    """His structured lab results, newest first (one test with ?code=)."""
    return labs.results_for(require_user(), patient_id, query["code"])


@blp.get("/patients/<int:patient_id>/lab-trend")
@blp.arguments(TrendQuerySchema, location="query")
@blp.response(200, TrendPointSchema(many=True))
def lab_trend(query, patient_id):
    """One test's confirmed values over time."""
    return labs.trend(require_user(), patient_id, query["code"])


@blp.post("/lab-results")
@roles_required(Role.PATIENT)
@blp.arguments(LabResultInSchema)
@blp.response(201, LabResultSchema)
def upload_lab_result(data):
    """Enter a result from a paper report; a doctor confirms it before it counts."""
    return labs.upload_result(require_user(), labs.ResultInput(**data))


@blp.post("/lab-results/<int:result_id>/confirm")
@roles_required(Role.DOCTOR)
@blp.response(200, LabResultSchema)
def confirm_lab_result(result_id):
    """A doctor who looks after the patient confirms an uploaded result."""
    return labs.confirm_result(require_user(), result_id)


@blp.post("/lab-orders")
@roles_required(Role.DOCTOR)
@blp.arguments(LabOrderInSchema)
@blp.response(201, LabOrderSchema)
def order_lab_tests(data):
    """The consulting doctor orders tests (检验检查) in an accepted consultation."""
    return labs.order_tests(require_user(), data["consultation_id"], data["tests"])


@blp.get("/patients/<int:patient_id>/lab-orders")
@blp.response(200, LabOrderSchema(many=True))
def lab_orders(patient_id):
    """His lab orders and their state (ordered, booked, resulted)."""
    return labs.orders_for(require_user(), patient_id)


@blp.post("/lab-orders/<int:order_id>/results")
@roles_required(Role.ADMIN)
@blp.arguments(LabOrderResultsSchema)
@blp.response(200, LabOrderSchema)
def lab_order_results(data, order_id):
    """The laboratory returns the results: into his record and to the ordering doctor."""
    results = [labs.ResultInput(**r) for r in data["results"]]
    return labs.record_order_results(require_user(), order_id, results)


# --- slots and bookings -----------------------------------------------------------------------


@blp.post("/slots")
@roles_required(Role.ADMIN, Role.DOCTOR)
@blp.arguments(SlotPublishSchema)
@blp.response(201, SlotSchema(many=True))
def publish_slots(data):
    """Publish consecutive 30-minute slots with a capacity (administrator or a doctor of the department)."""
    return booking.publish_slots(require_user(), **data)


@blp.get("/slots")
@blp.arguments(SlotQuerySchema, location="query")
@blp.response(200, SlotSchema(many=True))
def list_slots(query):
    """A department's upcoming slots with free places."""
    require_user()
    return booking.open_slots(query["department_id"], query["purpose"])


@blp.post("/referrals/<int:consultation_id>/destination")
@roles_required(Role.DOCTOR)
@blp.arguments(DestinationSchema)
@blp.response(200, ReferralSchema)
def choose_destination(data, consultation_id):
    """The referring doctor chooses the network hospital department for the in-person visit."""
    return booking.choose_destination(require_user(), consultation_id, data["department_id"])


@blp.post("/bookings")
@roles_required(Role.PATIENT)
@blp.arguments(BookingInSchema)
@blp.response(201, BookingSchema)
def book(data):
    """Book a slot for a referral or for ordered lab tests; a full slot is refused (409 slot_full)."""
    return booking.book(require_user(), data["slot_id"], data["consultation_id"], data["lab_order_id"])


@blp.get("/bookings")
@roles_required(Role.PATIENT)
@blp.response(200, BookingSchema(many=True))
def my_bookings():
    """His bookings, newest first."""
    return booking.bookings_of(require_user())


@blp.get("/bookings/<int:booking_id>")
@blp.response(200, BookingSchema)
def get_booking(booking_id):
    """One booking (his own, or a doctor who looks after him)."""
    return booking.get_booking(require_user(), booking_id)


@blp.get("/bookings/<int:booking_id>/qr.svg")
def booking_qr(booking_id):
    """The confirmation's QR code."""
    return Response(booking.qr_svg(booking.get_booking(require_user(), booking_id)), mimetype="image/svg+xml")


@blp.post("/bookings/<int:booking_id>/cancel")
@roles_required(Role.PATIENT)
@blp.response(200, BookingSchema)
def cancel_booking(booking_id):
    """Cancel before the time; the place is free again."""
    return booking.cancel(require_user(), booking_id)


@blp.get("/bookings/verify/<code>")
@blp.response(200, BookingVerifySchema)
def verify_booking(code):
    """What the hospital desk sees when it scans the QR code (no patient identity)."""
    return booking.verify(code)
