"""What each chronic-care page shows, gathered in one call per page (pages stay thin)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from chronic import booking, care, labs, plans, readings, reminders
from chronic.models import Alert, AlertStatus, ReadingKind
from chronic.targets import targets_of
from core import accounts, clock
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from hospital.services import network, renewal

CHART_KINDS = (ReadingKind.BLOOD_PRESSURE, ReadingKind.GLUCOSE, ReadingKind.WEIGHT)


def _chart_args(kind: str | None, days: int | None) -> tuple[str, int]:
    kind = kind if kind in set(ReadingKind) else ReadingKind.BLOOD_PRESSURE
    days = days if days in (7, 30, 90) else 30
    return kind, days


def _chart(actor: User, patient_id: int, kind: str, days: int) -> dict:
    rows = readings.readings_for(actor, patient_id, days, kind)
    return {
        "kind": kind,
        "days": days,
        "rows": list(reversed(rows))[:20],
        "data": {**readings.chart_data(rows, targets_of(patient_id)), "kind": kind, "days": days},
    }


def health(patient: User, kind: str | None, days: int | None, reading_id: int | None) -> dict:
    """The patient's 'my health' page: the reading just recorded with its advice, the chart, targets."""
    kind, days = _chart_args(kind, days)
    just = None
    if reading_id:
        row = db.session.get(readings.Reading, reading_id)
        if row is not None and row.patient_id == patient.id:
            just = {"reading": row, "summary": readings.summary_of(row), "advice": readings.advice_for(row)}
    return {
        "chart": _chart(patient, patient.id, kind, days),
        "targets": targets_of(patient.id),
        "just": just,
        "alerts": readings.alerts_for_patient(patient, patient.id, limit=5),
    }


def medicines(patient: User) -> dict:
    return {
        "doses": reminders.today_for(patient),
        "adherence": reminders.adherence(patient, patient.id),
        "running_out": reminders.run_out_reminders(patient.id),
    }


def labs_page(patient: User) -> dict:
    results = labs.results_for(patient, patient.id)
    by_code: dict[str, list] = {}
    for row in results:
        by_code.setdefault(row.code, []).append(row)
    return {
        "by_code": by_code,
        "orders": labs.orders_for(patient, patient.id),
        "catalogue": labs.catalogue(),
        "today": clock.today(),
    }


def bookings_page(patient: User) -> dict:
    referred = care.referred_consultations(patient.id)
    rows = booking.bookings_of(patient)
    booked = {b.consultation_id for b in rows if b.status == "booked" and b.consultation_id}
    return {
        "bookings": rows,
        "to_book": [(c, network.get_department(booking.destination_of(c))) for c in referred if c.id not in booked],
    }


def new_booking(
    patient: User, consultation_id: int | None, lab_order_id: int | None, department_id: int | None
) -> dict:
    """Slots to choose from: the referral's department, or a laboratory for ordered tests."""
    if consultation_id:
        consultation, department = booking.referral_for(patient, consultation_id)
        return {
            "department": department,
            "slots": booking.open_slots(department.id),
            "consultation": consultation,
            "lab_order": None,
            "laboratories": [],
        }
    if lab_order_id:
        order = labs.get_order(patient, lab_order_id)
        if order.patient_id != patient.id:
            raise ValidationFailed("lab_order_not_found", _l("Not found, or not yours to see."), field="lab_order_id")
        laboratories = booking.lab_departments()
        department = next((d for d in laboratories if d.id == department_id), laboratories[0] if laboratories else None)
        slots = booking.open_slots(department.id, "lab") if department else []
        return {
            "department": department,
            "slots": slots,
            "consultation": None,
            "lab_order": order,
            "laboratories": laboratories,
        }
    raise ValidationFailed("booking_for", _l("Say what the booking is for."), field="consultation_id")


def panel(actor: User, patient_id: int, kind: str | None, days: int | None, consultation_id: int | None) -> dict:
    """The doctor's view of a patient between visits: alerts, chart, targets, adherence, plan, labs."""
    patient = care.patient_for(actor, patient_id)
    kind, days = _chart_args(kind, days)
    consultation = care.get_consultation(consultation_id) if consultation_id else None
    if consultation is not None and consultation.patient_id != patient_id:
        consultation = None
    results = labs.results_for(actor, patient_id)
    return {
        "patient": patient,
        "chart": _chart(actor, patient_id, kind, days),
        "targets": targets_of(patient_id),
        "alerts": readings.alerts_for_patient(actor, patient_id),
        "adherence": reminders.adherence(actor, patient_id),
        "medicines": renewal.current_medicines(patient_id),
        "items": plans.items_for(actor, patient_id),
        "results": results,
        "pending": [r for r in results if not r.confirmed],
        "orders": labs.orders_for(actor, patient_id),
        "catalogue": labs.catalogue(),
        "plan_kinds": plans.ITEM_KINDS,
        "consultation": consultation,
        "destination": network.get_department(booking.destination_of(consultation))
        if consultation is not None and care.is_referred(consultation)
        else None,
        "departments": network.list_departments() if consultation is not None else [],
        "is_doctor": care.doctor_of(actor) is not None,
    }


def department(doctor_user: User) -> dict:
    """The department's list: open alerts and trend flags, follow-up items due or overdue."""
    return {"alerts": readings.department_alerts(doctor_user), "due": plans.department_due(doctor_user)}


# --- home sections ------------------------------------------------------------------------------


def patient_home(user: User) -> dict:
    """Today at a glance: doses still to take, items due, the latest reading and its advice."""
    today = clock.today()
    doses = reminders.schedule(user.id, today, today)
    latest = readings.latest_reading(user.id)
    due = [i for i in plans.items_for(user, user.id) if i.days <= 3]
    return {
        "doses_left": [d for d in doses if d.status is None],
        "doses_total": len(doses),
        "latest": latest,
        "latest_summary": readings.summary_of(latest) if latest else "",
        "due": due,
    }


def doctor_home(user: User) -> dict:
    doctor = care.doctor_of(user)
    if doctor is None:
        return {"open_alerts": 0}
    count = db.session.execute(
        db.select(db.func.count(Alert.id)).filter_by(department_id=doctor.department_id, status=AlertStatus.OPEN)
    ).scalar()
    return {"open_alerts": count}


def patient_name(patient_id: int) -> str:
    user = accounts.get_by_id(patient_id)
    return user.name if user else ""
