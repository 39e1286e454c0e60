"""Retention: what is past its legal period, per class, and purging exactly that.

Four classes (periods in core.config, sources in docs/retention.md), each purged in one transaction
with one audit entry of its count; stored files go after the commit:
- consultation_media: a consultation's dialogue, images and call records, 3 years from its end;
- prescriptions / special_prescriptions: 2 years from issue, 3 with a narcotic, psychotropic or
  toxic drug; with their lines, trail, dose marks and reminders and the stored PDF;
- medical_records: every consultation of a patient whose last visit is 15 years past, with all
  that hangs from it (the doctor's record, referral, bookings, lab orders and results).
Money (orders, payments, settlements) is not a medical record and is never purged here: it keeps
the prescription's number, which then names nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import Select, func, or_

from chronic.models import Booking, DoseMark, LabOrder, LabResult, Referral, ReminderSent
from core import audit, clock, uploads
from core.extensions import db
from hospital.models.calls import CallSession
from hospital.models.consultations import (
    Consultation,
    ConsultationAttachment,
    ConsultationMessage,
    ConsultationStatus,
    Handover,
    MedicalRecord,
    ReadReceipt,
)
from hospital.models.formulary import Drug
from hospital.models.prescriptions import Prescription, PrescriptionItem, PrescriptionTrail
from hospital.services.prescription_pdf import PDF_AREA

ENDED = (
    ConsultationStatus.COMPLETED,
    ConsultationStatus.REFERRED,
    ConsultationStatus.CANCELLED,
    ConsultationStatus.EXPIRED,
)
CLASSES = ("consultation_media", "prescriptions", "special_prescriptions", "medical_records")
CHUNK = 500  # ids per IN (...) list


@dataclass
class ClassPlan:
    """What one class would purge: its period, the cut-off instant and the ids of its rows."""

    name: str
    years: int
    cutoff: datetime
    ids: list[int]
    files: list[Path] = field(default_factory=list)
    detail: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.ids)


def years_before(moment: datetime, years: int) -> datetime:
    """The same instant `years` calendar years earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _ids(query) -> list[int]:
    return sorted(db.session.execute(query).scalars())


def _where_in(column, ids: list[int]) -> list[int]:
    """Ids of rows whose `column` is one of `ids` (the primary key of the column's table)."""
    table = column.table
    found = []
    for chunk in _chunks(ids):
        found += db.session.execute(db.select(table.c.id).where(column.in_(chunk))).scalars()
    return sorted(found)


def _delete(model, column, ids: list[int]) -> int:
    deleted = 0
    for chunk in _chunks(ids):
        deleted += db.session.execute(db.delete(model).where(column.in_(chunk))).rowcount
    return deleted


# --- finding what is past its period ------------------------------------------------------------


def _ended_at():
    return func.coalesce(Consultation.ended_at, Consultation.created_at)


def _media_consultations(cutoff: datetime) -> list[int]:
    """Ended consultations older than the cut-off that still hold dialogue, images or calls."""
    has_media = or_(
        Consultation.id.in_(db.select(ConsultationMessage.consultation_id)),
        Consultation.id.in_(db.select(ConsultationAttachment.consultation_id)),
        Consultation.id.in_(db.select(CallSession.consultation_id)),
    )
    return _ids(db.select(Consultation.id).where(Consultation.status.in_(ENDED), _ended_at() < cutoff, has_media))


def _special_prescription_ids() -> Select:
    classes = current_app.config["RETENTION_SPECIAL_CLASSES"]
    return (
        db.select(PrescriptionItem.prescription_id)
        .join(Drug, Drug.id == PrescriptionItem.drug_id)
        .where(Drug.special_control.in_(classes))
    )


def _prescriptions(cutoff: datetime, special: bool) -> list[int]:
    issued = func.coalesce(Prescription.signed_at, Prescription.created_at)
    kind = Prescription.id.in_(_special_prescription_ids())
    return _ids(db.select(Prescription.id).where(issued < cutoff, kind if special else ~kind))


def _lapsed_patients_consultations(cutoff: datetime) -> list[int]:
    """Every consultation of each patient whose last visit (its end, or its start) is before the cut-off."""
    lapsed = db.select(Consultation.patient_id).group_by(Consultation.patient_id).having(func.max(_ended_at()) < cutoff)
    return _ids(db.select(Consultation.id).where(Consultation.patient_id.in_(lapsed)))


# --- what goes with the rows --------------------------------------------------------------------


def _attachment_files(consultation_ids: list[int]) -> list[Path]:
    files = []
    for chunk in _chunks(consultation_ids):
        query = db.select(ConsultationAttachment.stored_name).where(ConsultationAttachment.consultation_id.in_(chunk))
        files += [uploads.upload_path("consultations", name) for name in db.session.execute(query).scalars()]
    return files


def _prescription_files(prescription_ids: list[int]) -> list[Path]:
    """The stored papers of the prescriptions (named by the prescription's code)."""
    folder = uploads.upload_path(PDF_AREA, "")
    files = []
    for chunk in _chunks(prescription_ids):
        for code in db.session.execute(db.select(Prescription.code).where(Prescription.id.in_(chunk))).scalars():
            files += sorted(folder.glob(f"{code}-*.pdf")) if folder.is_dir() else []
    return files


def _lab_report_files(lab_order_ids: list[int]) -> list[Path]:
    files = []
    for chunk in _chunks(lab_order_ids):
        query = db.select(LabResult.report_upload).where(LabResult.lab_order_id.in_(chunk))
        files += [uploads.upload_path("lab-reports", n) for n in db.session.execute(query).scalars() if n]
    return files


def _purge_media(consultation_ids: list[int]) -> dict[str, int]:
    return {
        "messages": _delete(ConsultationMessage, ConsultationMessage.consultation_id, consultation_ids),
        "read_receipts": _delete(ReadReceipt, ReadReceipt.consultation_id, consultation_ids),
        "attachments": _delete(ConsultationAttachment, ConsultationAttachment.consultation_id, consultation_ids),
        "calls": _delete(CallSession, CallSession.consultation_id, consultation_ids),
    }


def _purge_prescriptions(prescription_ids: list[int]) -> dict[str, int]:
    """A prescription with its lines and what hangs from them; a kept prescription that revised or
    renewed a purged one loses only that link."""
    item_ids = _where_in(PrescriptionItem.prescription_id, prescription_ids)
    detail = {
        "dose_marks": _delete(DoseMark, DoseMark.prescription_item_id, item_ids),
        "reminders": _delete(ReminderSent, ReminderSent.prescription_item_id, item_ids),
        "trail": _delete(PrescriptionTrail, PrescriptionTrail.prescription_id, prescription_ids),
        "lines": _delete(PrescriptionItem, PrescriptionItem.prescription_id, prescription_ids),
    }
    for chunk in _chunks(prescription_ids):
        for column in (Prescription.revision_of_id, Prescription.renewal_of_id):
            db.session.execute(db.update(Prescription).where(column.in_(chunk)).values({column.key: None}))
    _delete(Prescription, Prescription.id, prescription_ids)
    return detail


def _purge_consultations(consultation_ids: list[int]) -> dict[str, int]:
    """Consultations and everything that hangs from them, leaves first."""
    order_ids = _where_in(LabOrder.consultation_id, consultation_ids)
    booking_ids = sorted(
        set(_where_in(Booking.consultation_id, consultation_ids)) | set(_where_in(Booking.lab_order_id, order_ids))
    )
    detail = _purge_media(consultation_ids)
    detail |= _purge_prescriptions(_where_in(Prescription.consultation_id, consultation_ids))
    detail["bookings"] = _delete(Booking, Booking.id, booking_ids)
    detail["lab_results"] = _delete(LabResult, LabResult.lab_order_id, order_ids)
    detail["lab_orders"] = _delete(LabOrder, LabOrder.id, order_ids)
    detail["referrals"] = _delete(Referral, Referral.consultation_id, consultation_ids)
    detail["handovers"] = _delete(Handover, Handover.consultation_id, consultation_ids)
    detail["records"] = _delete(MedicalRecord, MedicalRecord.consultation_id, consultation_ids)
    _delete(Consultation, Consultation.id, consultation_ids)
    return detail


@dataclass(frozen=True)
class RetentionClass:
    name: str
    config_key: str
    find: Callable[[datetime], list[int]]
    files: Callable[[list[int]], list[Path]]
    purge: Callable[[list[int]], dict[str, int]]


def _consultation_files(consultation_ids: list[int]) -> list[Path]:
    prescription_ids = _where_in(Prescription.consultation_id, consultation_ids)
    order_ids = _where_in(LabOrder.consultation_id, consultation_ids)
    files = _attachment_files(consultation_ids) + _prescription_files(prescription_ids)
    return files + _lab_report_files(order_ids)


# In this order: the shorter periods first, so that each class finds only its own rows.
REGISTRY = (
    RetentionClass(
        "consultation_media",
        "RETENTION_CONSULTATION_MEDIA_YEARS",
        _media_consultations,
        _attachment_files,
        _purge_media,
    ),
    RetentionClass(
        "prescriptions",
        "RETENTION_PRESCRIPTION_YEARS",
        lambda cutoff: _prescriptions(cutoff, special=False),
        _prescription_files,
        _purge_prescriptions,
    ),
    RetentionClass(
        "special_prescriptions",
        "RETENTION_SPECIAL_PRESCRIPTION_YEARS",
        lambda cutoff: _prescriptions(cutoff, special=True),
        _prescription_files,
        _purge_prescriptions,
    ),
    RetentionClass(
        "medical_records",
        "RETENTION_MEDICAL_RECORD_YEARS",
        _lapsed_patients_consultations,
        _consultation_files,
        _purge_consultations,
    ),
)


def plan_class(kind: RetentionClass, now: datetime) -> ClassPlan:
    years = int(current_app.config[kind.config_key])
    cutoff = years_before(now, years)
    ids = kind.find(cutoff)
    return ClassPlan(kind.name, years, cutoff, ids, kind.files(ids))


def plan(now: datetime | None = None) -> list[ClassPlan]:
    """What each class would purge now (reads only: the dry run)."""
    now = now or clock.now()
    plans = [plan_class(kind, now) for kind in REGISTRY]
    db.session.rollback()
    return plans


def purge(now: datetime | None = None, actor_id: int | None = None) -> list[ClassPlan]:
    """Purge each class in its own transaction, exactly the rows its plan lists, with one audit
    entry of the count; the class's stored files are removed once its transaction is committed."""
    now = now or clock.now()
    done = []
    for kind in REGISTRY:
        class_plan = plan_class(kind, now)
        class_plan.detail = kind.purge(class_plan.ids) if class_plan.ids else {}
        audit.record(
            actor_id,
            None,
            "purge",
            f"retention_{kind.name}",
            None,
            count=class_plan.count,
            years=class_plan.years,
            cutoff=class_plan.cutoff.isoformat(),
            ids=class_plan.ids,
            **class_plan.detail,
        )
        db.session.commit()
        for path in class_plan.files:
            path.unlink(missing_ok=True)
        done.append(class_plan)
    return done
