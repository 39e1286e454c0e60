"""Retention: records dated just inside and just outside each legal period; `flask retention
--dry-run` lists exactly those outside (and touches nothing), the real run purges exactly them
(rows and stored files), keeps everything inside its period, and leaves one audit entry per class."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core import accounts, clock, uploads
from core.extensions import db
from core.models import AuditEntry
from hospital.models.calls import CallSession
from hospital.models.consultations import Consultation, ConsultationAttachment, ConsultationMessage, MedicalRecord
from hospital.models.formulary import Drug
from hospital.models.prescriptions import Prescription, PrescriptionItem
from hospital.services import prescription_pdf
from hospital.services.prescription_safety import ItemInput
from interchange import retention
from tests.clinical.conftest import ClinicalWorld
from tests.conftest import GOOD_PASSWORD, valid_id

DAY = timedelta(days=1)


def _ago(years: int) -> datetime:
    return retention.years_before(clock.now(), years)


def _days_ago(moment: datetime) -> int:
    return (clock.now() - moment).days


def _ended_consultation(world, patient, ended: datetime) -> Consultation:
    """A completed consultation that ended at `ended`, with a message, an image on disk and a call."""
    consultation = world.consultation(patient=patient, status="completed")
    consultation.created_at, consultation.ended_at = ended - timedelta(hours=1), ended
    path = uploads.upload_path("consultations", f"{consultation.id}/photo.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG test")
    attachment = ConsultationAttachment(
        consultation_id=consultation.id,
        uploader_id=patient.id,
        stored_name=f"{consultation.id}/photo.png",
        mime="image/png",
        size=9,
        sha256="0" * 64,
    )
    db.session.add(attachment)
    db.session.flush()
    db.session.add_all(
        [
            ConsultationMessage(consultation_id=consultation.id, seq=1, sender_id=patient.id, text="血压偏高"),
            ConsultationMessage(consultation_id=consultation.id, seq=2, kind="image", attachment_id=attachment.id),
            CallSession(consultation_id=consultation.id, started_by_id=world.doctor.user.id, started_at=ended),
            MedicalRecord(consultation_id=consultation.id, doctor_id=world.doctor.id, diagnosis="原发性高血压"),
        ]
    )
    db.session.commit()
    return consultation


@pytest.fixture
def dated(world):
    return _dated(world)


def _dated(world) -> dict:
    """Ids of rows on each side of each boundary (just inside: a day younger; just outside: a day
    older), and the stored papers of two prescriptions."""
    rx_in = world.earlier(ItemInput("AML5", 5, "qd", 7), days_ago=_days_ago(_ago(2)) - 1)
    rx_out = world.earlier(ItemInput("AML5", 5, "qd", 7), days_ago=_days_ago(_ago(2)) + 1)
    special_mid = world.earlier(ItemInput("ATO20", 20, "qn", 7), days_ago=_days_ago(_ago(2)) + 1)
    special_in = world.earlier(ItemInput("ATO20", 20, "qn", 7), days_ago=_days_ago(_ago(3)) - 1)
    special_out = world.earlier(ItemInput("ATO20", 20, "qn", 7), days_ago=_days_ago(_ago(3)) + 1)
    # The formulary classes atorvastatin as psychotropic for this test: its prescriptions keep 3 years.
    db.session.execute(db.update(Drug).where(Drug.code == "ATO20").values(special_control="psychotropic"))
    db.session.commit()
    paper_in, paper_out = _paper(rx_in), _paper(rx_out)
    media_in = _ended_consultation(world, world.patient, _ago(3) + DAY)
    media_out = _ended_consultation(world, world.patient, _ago(3) - DAY)
    lapsed = world.other_patient  # last visit just over 15 years ago
    lapsed_visit = _ended_consultation(world, lapsed, _ago(15) - DAY)
    recent = accounts.register_patient("周淑珍", valid_id("19500101", "033"), "13900000003", GOOD_PASSWORD)
    recent_visit = _ended_consultation(world, recent, _ago(15) + DAY)  # his last visit: just inside
    rows = {name: value for name, value in locals().items() if name != "world"}
    return {name: getattr(value, "id", value) for name, value in rows.items()}  # ids: rows get deleted


def _paper(rx: Prescription):
    """The prescription's stored paper (rendered once, kept in storage)."""
    prescription_pdf.pdf_for(rx)
    [path] = uploads.upload_path(prescription_pdf.PDF_AREA, "").glob(f"{rx.code}-*.pdf")
    return path


def _exists(model, row_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(model, row_id) is not None


def _count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def _purge_audit() -> list[AuditEntry]:
    return list(db.session.execute(db.select(AuditEntry).filter_by(action="purge").order_by(AuditEntry.id)).scalars())


def test_dry_run_lists_exactly_what_is_past_its_period_and_touches_nothing(app, dated):
    before = {m: _count(m) for m in (Prescription, PrescriptionItem, Consultation, ConsultationMessage, CallSession)}
    result = app.test_cli_runner().invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    plans = {p.name: p for p in retention.plan()}
    assert plans["prescriptions"].ids == [dated["rx_out"]]
    assert plans["special_prescriptions"].ids == [dated["special_out"]]
    # Every visit that ended over 3 years ago loses its dialogue, the 15-year-old ones too.
    media = sorted(dated[name] for name in ("media_out", "lapsed_visit", "recent_visit"))
    assert plans["consultation_media"].ids == media
    assert plans["medical_records"].ids == [dated["lapsed_visit"]]
    cutoff = clock.to_local(plans["prescriptions"].cutoff)
    assert f"prescriptions: would purge 1 (kept 2 years; older than {cutoff:%Y-%m-%d}" in result.output
    assert f"  ids: {dated['rx_out']}" in lines
    assert "special_prescriptions: would purge 1 (kept 3 years" in result.output
    assert {m: _count(m) for m in before} == before
    assert _purge_audit() == [] and dated["paper_out"].exists()


def test_real_run_purges_exactly_those_and_audits_each_class(app, dated):
    result = app.test_cli_runner().invoke(args=["retention", "--yes"])
    assert result.exit_code == 0, result.output
    gone = [("rx_out", Prescription), ("special_out", Prescription), ("lapsed_visit", Consultation)]
    kept = [
        ("rx_in", Prescription),
        ("special_in", Prescription),
        ("special_mid", Prescription),
        ("media_in", Consultation),
        ("media_out", Consultation),  # its dialogue goes at 3 years; the visit itself stays 15
        ("recent_visit", Consultation),
    ]
    assert [name for name, model in gone if _exists(model, dated[name])] == []
    assert [name for name, model in kept if not _exists(model, dated[name])] == []

    def messages(name: str) -> int:
        return _count_where(ConsultationMessage, ConsultationMessage.consultation_id == dated[name])

    assert messages("media_out") == 0 and messages("recent_visit") == 0 and messages("media_in") == 2
    assert _count_where(CallSession, CallSession.consultation_id == dated["media_out"]) == 0
    assert _count_where(MedicalRecord, MedicalRecord.consultation_id == dated["media_out"]) == 1
    assert _count_where(MedicalRecord, MedicalRecord.consultation_id == dated["lapsed_visit"]) == 0
    assert not uploads.upload_path("consultations", f"{dated['media_out']}/photo.png").exists()
    assert uploads.upload_path("consultations", f"{dated['media_in']}/photo.png").exists()
    assert not dated["paper_out"].exists() and dated["paper_in"].exists()
    entries = {e.object_type: e.detail for e in _purge_audit()}
    assert {k: v["count"] for k, v in entries.items()} == {
        "retention_consultation_media": 3,
        "retention_prescriptions": 1,
        "retention_special_prescriptions": 1,
        "retention_medical_records": 1,
    }
    assert entries["retention_medical_records"]["ids"] == [dated["lapsed_visit"]]
    # Nothing is left past its period: a second run purges nothing and says so, once per class.
    again = app.test_cli_runner().invoke(args=["retention", "--yes"])
    assert again.exit_code == 0 and "would purge 0" in again.output and "purged" not in again.output
    assert [e.detail["count"] for e in _purge_audit()] == [3, 1, 1, 1]


def _count_where(model, condition) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model).where(condition)).scalar_one()


def test_asks_before_purging(app, dated):
    refused = app.test_cli_runner().invoke(args=["retention"], input="n\n")
    assert refused.exit_code != 0 and _exists(Prescription, dated["rx_out"])


def test_a_leap_day_counts_back_to_the_28th():
    assert retention.years_before(datetime(2028, 2, 29, 12), 15) == datetime(2013, 2, 28, 12)
    assert retention.years_before(datetime(2026, 12, 2, 8), 2) == datetime(2024, 12, 2, 8)


@pytest.mark.postgres
def test_the_purge_on_postgres(pg_app):
    dated = _dated(ClinicalWorld(pg_app.test_client()))
    result = pg_app.test_cli_runner().invoke(args=["retention", "--yes"])
    assert result.exit_code == 0, result.output
    assert not _exists(Prescription, dated["rx_out"]) and _exists(Prescription, dated["rx_in"])
    assert not _exists(Consultation, dated["lapsed_visit"]) and _exists(Consultation, dated["recent_visit"])
    assert [e.detail["count"] for e in _purge_audit()] == [3, 1, 1, 1]
