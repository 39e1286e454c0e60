"""Medication reminders: a dose schedule from the patient's active prescriptions (times of day from
each item's frequency, for as long as its supply lasts), taken/skipped marks, 30-day adherence and
the run-out reminder that leads to the one-tap renewal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from chronic import care
from chronic.models import DoseMark, DoseStatus, ReminderSent
from core import accounts, audit, clock, notify, tasks
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.prescriptions import Prescription, PrescriptionItem
from hospital.models.prescriptions import PrescriptionStatus as RS
from hospital.services import patients as hospital_patients
from hospital.services import renewal

# Local times of day for each frequency code of the formulary; every-few-days codes say how often.
TIMES: dict[str, tuple[str, ...]] = {
    "qd": ("08:00",),
    "bid": ("08:00", "20:00"),
    "tid": ("08:00", "13:00", "18:00"),
    "qid": ("08:00", "12:00", "16:00", "20:00"),
    "qn": ("21:00",),
    "q8h": ("06:00", "14:00", "22:00"),
    "q12h": ("08:00", "20:00"),
    "qod": ("08:00",),
    "qw": ("08:00",),
    "q72h": ("08:00",),
    "once": ("08:00",),
}
EVERY_DAYS = {"qod": 2, "qw": 7, "q72h": 3}  # "prn" (when needed) has no schedule
ACTIVE = (RS.APPROVED, RS.PAID, RS.DISPENSED)
MARK_WINDOW = timedelta(days=7)  # a dose can be marked up to a week late
MARK_EARLY = timedelta(hours=2)
ADHERENCE_DAYS = 30


@dataclass
class Dose:
    item_id: int
    prescription_id: int
    drug_code: str
    name: str
    strength: str
    amount: str  # "1 tablet"
    scheduled_at: datetime  # aware UTC
    status: str | None = None  # taken / skipped / None (not marked)

    @property
    def key(self) -> str:
        return f"{self.item_id}@{self.scheduled_at.isoformat()}"


@dataclass
class Supply:
    item: PrescriptionItem
    starts: date
    ends: date  # the last day with medicine (exclusive end is ends + 1)


def _start_of(rx: Prescription) -> date:
    """Supply starts the day the medicine was dispensed (or paid, or signed), as renewal counts it."""
    return clock.to_local(rx.dispensed_at or rx.paid_at or rx.signed_at).date()


def supplies(patient_id: int) -> list[Supply]:
    """Every item of the patient's active prescriptions with the days its supply covers."""
    query = db.select(Prescription).where(Prescription.patient_id == patient_id, Prescription.status.in_(ACTIVE))
    rows = []
    for rx in db.session.execute(query).scalars():
        if rx.status == RS.APPROVED and rx.past_validity:
            continue
        start = _start_of(rx)
        rows.extend(Supply(item, start, start + timedelta(days=item.days - 1)) for item in rx.items)
    return rows


def _covering(supply_list: list[Supply], day: date) -> list[Supply]:
    """The supplies running on `day`, one per drug: a renewal that overlaps the old supply
    replaces it (the patient takes one dose, not two)."""
    by_drug: dict[str, Supply] = {}
    for supply in supply_list:
        if supply.starts <= day <= supply.ends:
            current = by_drug.get(supply.item.drug_code)
            if current is None or (supply.starts, supply.item.id) > (current.starts, current.item.id):
                by_drug[supply.item.drug_code] = supply
    return list(by_drug.values())


def _times_on(supply: Supply, day: date) -> tuple[str, ...]:
    frequency = supply.item.frequency
    if frequency == "once" and day != supply.starts:
        return ()
    step = EVERY_DAYS.get(frequency)
    if step and (day - supply.starts).days % step:
        return ()
    return TIMES.get(frequency, ())


def _at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=clock.local_tz()).astimezone(clock.now().tzinfo)


def _dose(supply: Supply, when: datetime) -> Dose:
    item = supply.item
    return Dose(
        item.id,
        item.prescription_id,
        item.drug_code,
        item.name_zh,
        item.strength,
        f"{item.dose:g} {item.dose_unit}",
        when,
    )


def schedule(patient_id: int, first: date, last: date) -> list[Dose]:
    """Every dose from `first` to `last` (local days, inclusive), in time order, with its mark."""
    supply_list = supplies(patient_id)
    doses: list[Dose] = []
    day = first
    while day <= last:
        for supply in _covering(supply_list, day):
            doses.extend(_dose(supply, _at(day, hhmm)) for hhmm in _times_on(supply, day))
        day += timedelta(days=1)
    marks = _marks(patient_id, first, last)
    for dose in doses:
        dose.status = marks.get((dose.item_id, dose.scheduled_at))
    return sorted(doses, key=lambda d: (d.scheduled_at, d.name))


def _marks(patient_id: int, first: date, last: date) -> dict:
    lower, upper = _at(first, "00:00"), _at(last + timedelta(days=1), "00:00")
    query = db.select(DoseMark).where(
        DoseMark.patient_id == patient_id, DoseMark.scheduled_at >= lower, DoseMark.scheduled_at < upper
    )
    return {(m.prescription_item_id, m.scheduled_at): m.status for m in db.session.execute(query).scalars()}


def today_for(patient: User) -> list[Dose]:
    """The patient's doses today (audited read)."""
    hospital_patients.require_patient(patient)
    today = clock.today()
    doses = schedule(patient.id, today, today)
    audit.record_read(patient.id, patient.id, "dose_schedule", None)
    return doses


def mark_dose(patient: User, item_id: int, scheduled_at: datetime, status: str) -> Dose:
    """The patient marks one scheduled dose taken or skipped (marking again changes his answer)."""
    hospital_patients.require_patient(patient)
    if status not in set(DoseStatus):
        raise ValidationFailed("dose_status", _l("Mark the dose taken or skipped."), field="status")
    now = clock.now()
    if not now - MARK_WINDOW <= scheduled_at <= now + MARK_EARLY:
        raise ValidationFailed(
            "dose_window",
            _l("Only doses of the last 7 days, up to 2 hours ahead, can be marked."),
            field="scheduled_at",
        )
    day = clock.to_local(scheduled_at).date()
    dose = next(
        (d for d in schedule(patient.id, day, day) if d.item_id == item_id and d.scheduled_at == scheduled_at), None
    )
    if dose is None:
        raise ValidationFailed("dose_not_scheduled", _l("This dose is not in your schedule."), field="item_id")
    _upsert_mark(patient.id, item_id, scheduled_at, status)
    audit.record(patient.id, patient.id, "mark", "dose", item_id, scheduled_at=scheduled_at.isoformat(), status=status)
    db.session.commit()
    dose.status = status
    return dose


def _upsert_mark(patient_id: int, item_id: int, scheduled_at: datetime, status: str) -> None:
    query = db.select(DoseMark).filter_by(prescription_item_id=item_id, scheduled_at=scheduled_at)
    mark = db.session.execute(query).scalar_one_or_none()
    if mark is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    DoseMark(
                        patient_id=patient_id, prescription_item_id=item_id, scheduled_at=scheduled_at, status=status
                    )
                )
            return
        except IntegrityError:  # the same mark from another tab at the same moment
            mark = db.session.execute(query).scalar_one()
    mark.status, mark.marked_at = status, clock.now()


def adherence(actor: User, patient_id: int, days: int = ADHERENCE_DAYS) -> dict:
    """Doses taken of the doses due in the last `days` days (up to now); unmarked ones count as missed."""
    care.patient_for(actor, patient_id)
    today = clock.today()
    now = clock.now()
    due = [d for d in schedule(patient_id, today - timedelta(days=days - 1), today) if d.scheduled_at <= now]
    taken = sum(1 for d in due if d.status == DoseStatus.TAKEN)
    skipped = sum(1 for d in due if d.status == DoseStatus.SKIPPED)
    audit.record_read(actor.id, patient_id, "adherence", None, days=days)
    return {
        "days": days,
        "scheduled": len(due),
        "taken": taken,
        "skipped": skipped,
        "missed": len(due) - taken - skipped,
        "percent": round(100 * taken / len(due)) if due else None,
    }


def run_out_reminders(patient_id: int, today: date | None = None) -> list:
    """Medicines running out within a few days (renewal's own rule), each leading to its renewal."""
    return [m for m in renewal.current_medicines(patient_id, today) if m.remind]


# --- pushed reminders ---------------------------------------------------------------------------

REMIND_WINDOW = timedelta(minutes=15)  # a dose due within the last quarter hour is announced
DOSE_TITLE = _l("Time for your medicine: %(name)s %(amount)s")
RUN_OUT_TITLE = _l("%(name)s runs out on %(day)s. Renew it now so that you do not run short.")


def _claim(kind: str, patient_id: int, item_id: int, due_at: datetime) -> bool:
    """Record that this reminder goes out; False when another process (or round) sent it."""
    try:
        with db.session.begin_nested():
            db.session.add(ReminderSent(kind=kind, patient_id=patient_id, prescription_item_id=item_id, due_at=due_at))
    except IntegrityError:
        return False
    db.session.commit()
    return True


def _push(patient_id: int, event: str, title, payload: dict, **params) -> None:
    patient = accounts.get_by_id(patient_id)
    with force_locale((patient.locale if patient else None) or "zh"):
        text = str(title) % params
    notify.notify_user(patient_id, event, {**payload, "title": text})


def send_due_reminders(now: datetime | None = None) -> int:
    """Push each dose that fell due in the last quarter hour, and each medicine's run-out reminder
    once; only from active prescriptions, so they stop with the supply."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    query = db.select(Prescription.patient_id).where(Prescription.status.in_(ACTIVE)).distinct()
    sent = 0
    for patient_id in db.session.execute(query).scalars().all():
        for dose in schedule(patient_id, today, today):
            due = now - REMIND_WINDOW < dose.scheduled_at <= now and dose.status is None
            if due and _claim("dose", patient_id, dose.item_id, dose.scheduled_at):
                _push_dose(patient_id, dose)
                sent += 1
        sent += _run_out(patient_id, today)
    return sent


def _push_dose(patient_id: int, dose: Dose) -> None:
    payload = {
        "item_id": dose.item_id,
        "scheduled_at": clock.to_local(dose.scheduled_at).isoformat(),
        "url": "/health/medicines",
    }
    _push(patient_id, "chronic.dose_due", DOSE_TITLE, payload, name=dose.name, amount=dose.amount)


def _run_out(patient_id: int, today: date) -> int:
    sent = 0
    for medicine in run_out_reminders(patient_id, today):
        marker = datetime.combine(medicine.runs_out_on, time(0, 0), tzinfo=clock.local_tz())
        item_ids = [s.item.id for s in supplies(patient_id) if s.item.prescription_id == medicine.prescription_id]
        if item_ids and _claim("run_out", patient_id, item_ids[0], marker):
            _push(
                patient_id,
                "chronic.run_out",
                RUN_OUT_TITLE,
                {"prescription_id": medicine.prescription_id, "url": f"/prescriptions/{medicine.prescription_id}"},
                name=medicine.name,
                day=medicine.runs_out_on.isoformat(),
            )
            sent += 1
    return sent


@tasks.every(60)
def remind() -> None:
    """Periodic: medication reminders of every patient (safe in several processes)."""
    send_due_reminders()
