"""Prescriptions, their items, and the append-only trail of signatures that makes tampering visible."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class PrescriptionStatus(enum.StrEnum):
    DRAFT = "draft"  # the doctor is writing it
    SIGNED = "signed"  # signed by the doctor, waiting for a pharmacist
    APPROVED = "approved"  # the pharmacist approved it: it takes effect and can be paid
    REJECTED = "rejected"  # returned to the doctor with a reason
    SUPERSEDED = "superseded"  # a revised version replaced it
    PAID = "paid"
    DISPENSED = "dispensed"
    EXPIRED = "expired"  # validity passed before payment
    REFUNDED = "refunded"  # the order was returned


class Prescription(db.Model):
    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unguessable code printed as the QR: /api/prescriptions/verify/{code}
    code: Mapped[str] = mapped_column(String(24), unique=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    doctor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    diagnosis_id: Mapped[int] = mapped_column(ForeignKey("confirmed_diagnoses.id"))
    icd10: Mapped[str] = mapped_column(String(16))
    diagnosis_name: Mapped[str] = mapped_column(String(200))
    chronic: Mapped[bool] = mapped_column(Boolean, default=True)
    acute: Mapped[bool] = mapped_column(Boolean, default=False)
    long_prescription: Mapped[bool] = mapped_column(Boolean, default=False)
    long_reason: Mapped[str] = mapped_column(Text, default="")
    validity_days: Mapped[int] = mapped_column(Integer, default=1)  # 1 (issue day) to 3
    note: Mapped[str] = mapped_column(Text, default="")
    # Warnings the doctor overrode, and why (kept with the signed content).
    findings: Mapped[list] = mapped_column(JSON, default=list)
    override_code: Mapped[str] = mapped_column(String(32), default="")  # one of the coded reasons
    override_reason: Mapped[str] = mapped_column(Text, default="")  # the doctor's own words
    status: Mapped[str] = mapped_column(String(12), default=PrescriptionStatus.DRAFT, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    revision_of_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    order_ref: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispensed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # expired / refunded / superseded

    items: Mapped[list[PrescriptionItem]] = relationship(
        back_populates="prescription", order_by="PrescriptionItem.position", cascade="all, delete-orphan"
    )
    patient = relationship("User", foreign_keys=[patient_id])
    doctor_user = relationship("User", foreign_keys=[doctor_user_id])
    reviewer = relationship("User", foreign_keys=[reviewer_user_id])
    hospital = relationship("Hospital")
    department = relationship("Department")

    @property
    def total_fen(self) -> int:
        return sum(item.total_fen for item in self.items)

    @property
    def past_validity(self) -> bool:
        return past_validity(self.valid_until)

    @property
    def effective_status(self) -> str:
        return effective_status(self.status, self.valid_until)


def past_validity(valid_until: datetime | None) -> bool:
    """Whether a prescription valid until then is past its validity now."""
    return valid_until is not None and clock.now() >= valid_until


def effective_status(status: str, valid_until: datetime | None) -> str:
    """The status as of now: signed or approved but past its validity reads as expired."""
    if status in (PrescriptionStatus.SIGNED, PrescriptionStatus.APPROVED) and past_validity(valid_until):
        return PrescriptionStatus.EXPIRED
    return status


class PrescriptionItem(db.Model):
    __tablename__ = "prescription_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"))
    drug_code: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    strength: Mapped[str] = mapped_column(String(80))
    dose: Mapped[float] = mapped_column(Float)
    dose_unit: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(30))
    days: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # packages
    package_unit_zh: Mapped[str] = mapped_column(String(10), default="盒")
    package_unit_en: Mapped[str] = mapped_column(String(20), default="box")
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
    insurance_class: Mapped[str] = mapped_column(String(1))
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    instructions: Mapped[str] = mapped_column(String(200), default="")

    prescription: Mapped[Prescription] = relationship(back_populates="items")


class PrescriptionTrail(db.Model):
    """Append-only: each signature with the exact content it covers and the signer's public key.

    Re-deriving the content from the prescription row and comparing it with the trail (and
    checking the signature) reveals any later change of the row, as in GNU Health.
    """

    __tablename__ = "prescription_trail"

    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # doctor / review
    signer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(12))  # for reviews: approved / rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


@event.listens_for(PrescriptionTrail, "before_update")
@event.listens_for(PrescriptionTrail, "before_delete")
def _trail_is_append_only(_mapper, _connection, _target) -> None:
    raise RuntimeError("the prescription trail is append-only")
