"""The outbox: every reportable change leaves exactly one report, written in the change's own
transaction (a rollback leaves none), with the fields the platform requires."""

from __future__ import annotations

import pytest

from core import clock
from core.errors import Conflict
from core.extensions import db
from core.signals import status_changed
from hospital.models.consultations import Consultation
from hospital.services import consultation_machine
from regulator.mock_platform import rules
from regulator.models import ReportStatus
from regulator.sender import envelope
from tests.regulator.conftest import outbox


def test_a_whole_visit_leaves_one_report_per_event_with_valid_fields(flow):
    consultation = flow.consultation()
    rx = flow.prescription(consultation)
    flow.dispense(rx)
    flow.complete(consultation)
    rows = outbox()
    assert [(r.report_type, r.record_id) for r in rows] == [
        ("consultation_start", consultation),
        ("prescription_signed", rx),
        ("prescription_reviewed", rx),
        ("prescription_dispensed", rx),
        ("consultation_end", consultation),
    ]
    assert len({r.msgid for r in rows}) == 5 and all(r.status == ReportStatus.PENDING for r in rows)
    for row in rows:
        rules.check(envelope(row))  # what the platform requires is there
    start, signed, reviewed, dispensed, end = (r.payload for r in rows)
    assert start["mode"] == "video" and start["doctor_license_no"] and start["diagnosis_icd10"] == "I10"
    assert start["patient_id_masked"].count("*") >= 10 and "id_number" not in start
    assert signed["items"][0]["drug_code"] == "AML5" and signed["valid_until"]  # set after the status moved
    assert reviewed["decision"] == "approved" and reviewed["pharmacist_name"]  # set after the status moved
    assert dispensed["dispensed_at"] and end["outcome"] == "completed" and end["ended_at"]
    assert end["prescription_nos"] == [signed["prescription_no"]]


def test_a_referral_reports_the_end_the_referral_and_the_booking(flow):
    consultation = flow.consultation()
    flow.refer(consultation)
    booking_id = flow.book_referral(consultation)
    rows = {r.report_type: r for r in outbox()}
    assert set(rows) == {"consultation_start", "consultation_end", "referral", "referral_booking"}
    assert rows["referral"].payload["reason"].startswith("血压控制不佳")
    assert rows["consultation_end"].payload["outcome"] == "referred"
    assert rows["referral_booking"].record_id == booking_id and rows["referral_booking"].payload["visit_at"]
    for row in rows.values():
        rules.check(envelope(row))


def test_a_rejected_prescription_is_reported_as_reviewed_rejected(flow):
    rx = flow.prescription(flow.consultation(), approve=False)
    reviewed = outbox(report_type="prescription_reviewed")
    assert [(r.record_id, r.payload["decision"]) for r in reviewed] == [(rx, "rejected")]


def test_a_rolled_back_change_leaves_no_report(flow):
    consultation_id = flow.consultation()
    before = len(outbox())
    consultation = db.session.get(Consultation, consultation_id)
    consultation_machine.move_to(consultation, "completed", ended_at=clock.now())
    assert len(db.session.info.get("regulator_reports", [])) == 1  # queued in this transaction
    db.session.rollback()  # e.g. the record was incomplete
    db.session.commit()
    assert len(outbox()) == before
    assert db.session.get(Consultation, consultation_id).status == "accepted"


def test_a_change_refused_by_its_machine_leaves_no_report(flow):
    consultation_id = flow.consultation()
    flow.complete(consultation_id)
    before = len(outbox())
    with pytest.raises(Conflict):
        flow.refer(consultation_id)
    assert len(outbox()) == before


def test_the_report_commits_with_the_change_and_not_without_it(flow, demo_app):
    """The outbox row and the status change are one transaction: both, or neither."""
    consultation_id = flow.consultation()
    status_changed.send("consultation", record_id=consultation_id, status="completed")
    db.session.rollback()
    assert outbox(report_type="consultation_end") == []
    flow.complete(consultation_id)
    assert len(outbox(report_type="consultation_end")) == 1
