"""Validity and expiry: a prescription is valid on its issue day (up to 3 days when extended); an
unreviewed or unpaid one then expires."""

from __future__ import annotations

from core import audit, clock
from core.extensions import db
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services.prescription_states import move_to


def expire_overdue() -> int:
    """Move every approved (unpaid) or unreviewed prescription past its validity to expired."""
    query = db.select(Prescription).where(
        Prescription.status.in_([S.APPROVED, S.SIGNED]), Prescription.valid_until <= clock.now()
    )
    count = 0
    for rx in db.session.execute(query).scalars():
        move_to(rx, S.EXPIRED)
        audit.record(None, rx.patient_id, "expire", "prescription", rx.id)
        count += 1
    db.session.commit()
    return count
