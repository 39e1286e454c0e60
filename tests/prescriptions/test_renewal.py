"""My medicines: the day each runs out, and a reminder a few days before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import clock
from hospital.services import prescriptions as rxs
from hospital.services import renewal
from hospital.services.prescription_safety import ItemInput

MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 local


def test_runs_out_day_and_reminder(world):
    consultation = world.consultation()
    with clock.frozen(MORNING):
        draft = rxs.create_draft(world.doctor.user, consultation.id, rxs.DraftInput([ItemInput("AML5", 5, "qd", 7)]))
        rx = rxs.review_prescription(world.pharmacist, rxs.sign_prescription(world.doctor.user, draft.id).id, "approve")
        rxs.mark_paid(rx.id, "ORD-1")
        [medicine] = renewal.current_medicines(world.patient.id)
        assert medicine.runs_out_on.isoformat() == "2026-03-17" and medicine.days_left == 7 and not medicine.remind
    with clock.frozen(MORNING + timedelta(days=3)):
        assert renewal.current_medicines(world.patient.id)[0].remind is True
    assert renewal.current_medicines(world.other_patient.id) == []
