"""Follow-up plans (随访计划): a doctor sets recurring items for a patient (review blood pressure
every 4 weeks, HbA1c every 3 months, a follow-up visit); each falls due, is overdue when missed,
and is ticked off by the reading, lab result or consultation that fulfils it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from chronic import care
from chronic.models import FollowUpItem, FollowUpPlan
from core import audit, clock
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User

VISIT = "visit"
ITEM_KINDS = {
    "blood_pressure": _l("Measure blood pressure"),
    "glucose": _l("Measure blood glucose"),
    "weight": _l("Weigh yourself"),
    VISIT: _l("Follow-up consultation"),
    "lab:HBA1C": _l("HbA1c test"),
    "lab:LIPID": _l("Blood lipids test"),
    "lab:RENAL": _l("Renal function test"),
    "lab:ECG": _l("Electrocardiogram"),
}


@dataclass
class ItemInput:
    kind: str
    interval_days: int
    first_due: date | None = None


def label(kind: str) -> str:
    return str(ITEM_KINDS.get(kind, kind))


def _check_item(item: ItemInput) -> None:
    if item.kind not in ITEM_KINDS:
        raise ValidationFailed("plan_item_kind", _l("Choose an item from the list."), field="kind")
    if not 1 <= item.interval_days <= 366:
        raise ValidationFailed(
            "plan_interval", _l("The interval must be between 1 and 366 days."), field="interval_days"
        )
    if item.first_due is not None and item.first_due < clock.today():
        raise ValidationFailed("plan_first_due", _l("The first due day cannot be in the past."), field="first_due")


def create_plan(doctor_user: User, patient_id: int, items: list[ItemInput], note: str = "") -> FollowUpPlan:
    """A doctor who looks after the patient sets a plan of one or more recurring items."""
    care.require_doctor_for(doctor_user, patient_id)
    if not items:
        raise ValidationFailed("plan_empty", _l("Add at least one item to the plan."), field="items")
    for item in items:
        _check_item(item)
    doctor = care.doctor_of(doctor_user)
    plan = FollowUpPlan(
        patient_id=patient_id, doctor_user_id=doctor_user.id, department_id=doctor.department_id, note=note[:1000]
    )
    db.session.add(plan)
    db.session.flush()
    for item in items:
        due = item.first_due or clock.today() + timedelta(days=item.interval_days)
        db.session.add(
            FollowUpItem(
                plan_id=plan.id, patient_id=patient_id, kind=item.kind, interval_days=item.interval_days, due_on=due
            )
        )
    audit.record(doctor_user.id, patient_id, "create", "follow_up_plan", plan.id, kinds=[i.kind for i in items])
    db.session.commit()
    return plan


def fulfil(patient_id: int, kind: str, source: str, at: datetime) -> int:
    """Tick off the patient's active items of this kind that fall due within their interval of
    `at`: the next due day moves on by one interval (a reading taken early counts)."""
    query = db.select(FollowUpItem).where(
        FollowUpItem.patient_id == patient_id, FollowUpItem.kind == kind, FollowUpItem.active.is_(True)
    )
    day = clock.to_local(at).date()
    count = 0
    for item in db.session.execute(query).scalars():
        if day > item.due_on - timedelta(days=item.interval_days) and (
            item.last_done_at is None or at > item.last_done_at
        ):
            item.due_on = max(item.due_on, day) + timedelta(days=item.interval_days)
            item.last_done_at, item.last_done_by = at, source
            count += 1
    if count:
        audit.record(None, patient_id, "fulfil", "follow_up_item", None, kind=kind, source=source)
        db.session.commit()
    return count


def _catch_up_visits(patient_id: int) -> None:
    """Consultations are hospital's: their fulfilment is read here, whenever items are shown."""
    query = db.select(FollowUpItem).where(
        FollowUpItem.patient_id == patient_id, FollowUpItem.kind == VISIT, FollowUpItem.active.is_(True)
    )
    items = list(db.session.execute(query).scalars())
    if not items:
        return
    since = min((i.last_done_at or i.plan.created_at) for i in items)
    for consultation in care.completed_consultations_since(patient_id, since):
        fulfil(patient_id, VISIT, f"consultation:{consultation.id}", consultation.ended_at)


@dataclass
class DueItem:
    id: int
    kind: str
    label: str
    due_on: date
    days: int  # days until due; negative when overdue
    overdue: bool
    last_done_at: datetime | None
    last_done_by: str | None
    patient_id: int
    patient_name: str = ""


def _due(item: FollowUpItem, today: date, patient_name: str = "") -> DueItem:
    days = (item.due_on - today).days
    return DueItem(
        item.id,
        item.kind,
        label(item.kind),
        item.due_on,
        days,
        days < 0,
        item.last_done_at,
        item.last_done_by,
        item.patient_id,
        patient_name,
    )


def items_for(actor: User, patient_id: int) -> list[DueItem]:
    """The patient's plan items, soonest due first (visits caught up from consultations)."""
    care.patient_for(actor, patient_id)
    _catch_up_visits(patient_id)
    query = db.select(FollowUpItem).where(FollowUpItem.patient_id == patient_id, FollowUpItem.active.is_(True))
    today = clock.today()
    rows = [_due(i, today) for i in db.session.execute(query.order_by(FollowUpItem.due_on)).scalars()]
    audit.record_read(actor.id, patient_id, "follow_up_items", None)
    return rows


def department_due(doctor_user: User, within_days: int = 7) -> list[DueItem]:
    """The department's list: items due within a week or overdue, of plans set in his department."""
    doctor = care.doctor_of(doctor_user)
    if doctor is None:
        return []
    horizon = clock.today() + timedelta(days=within_days)
    query = (
        db.select(FollowUpItem)
        .join(FollowUpPlan, FollowUpPlan.id == FollowUpItem.plan_id)
        .where(FollowUpPlan.department_id == doctor.department_id, FollowUpItem.active.is_(True))
    )
    patient_ids = {i.patient_id for i in db.session.execute(query).scalars()}
    for patient_id in patient_ids:
        _catch_up_visits(patient_id)
    query = query.where(FollowUpItem.due_on <= horizon).order_by(FollowUpItem.due_on)
    today = clock.today()
    rows = [_due(i, today) for i in db.session.execute(query).scalars()]
    names = {p.id: p.name for p in care.patients_named(list({r.patient_id for r in rows}))}
    for row in rows:
        row.patient_name = names.get(row.patient_id, "")
    audit.record_read(doctor_user.id, None, "follow_up_department", doctor.department_id)
    return rows


def plans_for(actor: User, patient_id: int) -> list[FollowUpPlan]:
    care.patient_for(actor, patient_id)
    query = db.select(FollowUpPlan).filter_by(patient_id=patient_id).order_by(FollowUpPlan.id.desc())
    return list(db.session.execute(query).scalars())
