"""The patient's active medication list: every drug of his prescriptions (any doctor, any
consultation) whose supply runs through today. The safety checks run on it together with a new
prescription, so that warfarin on one prescription and aspirin on another meet."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from core import audit, clock
from core.extensions import db
from core.models import User
from hospital.models.prescriptions import Prescription, PrescriptionItem
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import clinical_access

# Statuses whose drugs the patient has or is about to have: a signed prescription still waiting for
# review counts too, so that two doctors writing at the same time see each other's drugs.
IN_SUPPLY = (S.SIGNED, S.APPROVED, S.PAID, S.DISPENSED)
# How far back to look: no prescription supplies more than 84 days (a stable long prescription).
LOOKBACK_DAYS = 120


@dataclass(frozen=True)
class ActiveMedication:
    drug_code: str
    name: str
    strength: str
    dose: float
    dose_unit: str
    frequency: str
    days: int
    supply_from: date
    supply_until: date  # the last day covered
    prescription_id: int
    prescription_code: str
    doctor_name: str

    def as_dict(self) -> dict:
        data = asdict(self)
        data["supply_from"], data["supply_until"] = self.supply_from.isoformat(), self.supply_until.isoformat()
        return data


def supply_start(rx: Prescription) -> date:
    """The supply starts when the medicine was handed out, else when it was paid, else signed."""
    moment = rx.dispensed_at or rx.paid_at or rx.signed_at or rx.created_at
    return clock.to_local(moment).date()


def _supply(rx: Prescription, item: PrescriptionItem) -> tuple[date, date]:
    start = supply_start(rx)
    return start, start + timedelta(days=max(item.days, 1) - 1)


def active_medications(
    patient_id: int, on: date | None = None, exclude_ids: tuple[int, ...] = ()
) -> list[ActiveMedication]:
    """Drugs whose supply covers `on` (today), newest prescription first; `exclude_ids` leaves out
    the prescription being written and the one it renews or revises."""
    on = on or clock.today()
    since = clock.now() - timedelta(days=LOOKBACK_DAYS)
    query = (
        db.select(Prescription)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.status.in_(IN_SUPPLY),
            Prescription.signed_at >= since,
            Prescription.id.not_in(exclude_ids or (0,)),
        )
        .order_by(Prescription.signed_at.desc())
    )
    active = []
    for rx in db.session.execute(query).scalars():
        for item in rx.items:
            start, until = _supply(rx, item)
            if start <= on <= until:
                active.append(
                    ActiveMedication(
                        item.drug_code,
                        item.name_zh,
                        item.strength,
                        item.dose,
                        item.dose_unit,
                        item.frequency,
                        item.days,
                        start,
                        until,
                        rx.id,
                        rx.code,
                        rx.doctor_user.name,
                    )
                )
    return active


def medications_for(actor: User, patient_id: int) -> list[ActiveMedication]:
    """The active list as the patient or one of his doctors reads it (404 and audited for others)."""
    clinical_access.require_reader(actor, patient_id, "active_medications")
    rows = active_medications(patient_id)
    audit.record_read(actor.id, patient_id, "active_medications", None, count=len(rows))
    return rows
