"""The doctor's electronic signature (Ed25519 over the canonical content), the append-only trail,
the integrity check that re-derives the signed content, and overrides that explain themselves: a
coded reason from a short list plus the doctor's own words, kept with the signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam

from core import audit, clock, notify, rows, signing
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.prescriptions import Prescription, PrescriptionTrail
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import consultations, diagnoses
from hospital.services import prescription_access as access
from hospital.services import prescription_drafts as drafts
from hospital.services import prescription_safety as safety
from hospital.services.consultation_machine import consultation_room
from hospital.services.prescription_states import ONCE_APPROVED, move_to

# The coded reasons a doctor may give for overriding warnings (DESIGN §3), with free text besides.
OVERRIDE_REASONS = {
    "benefit_outweighs_risk": _l("Benefit outweighs the risk; patient informed"),
    "tolerated_for_years": _l("Already tolerated for years"),
    "specialist_advice": _l("On a specialist's advice"),
    "monitored": _l("Dose adjusted, with monitoring arranged"),
    "other": _l("Other (explain)"),
}
MIN_OVERRIDE_TEXT = 4
# Words that acknowledge without explaining: not a reason.
EMPTY_REASONS = {
    "ok",
    "okay",
    "yes",
    "y",
    "fine",
    "sure",
    "agree",
    "好",
    "好的",
    "行",
    "可以",
    "同意",
    "确认",
    "是",
    "无",
}


def override_label(code: str) -> str:
    return str(OVERRIDE_REASONS.get(code, code))


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def canonical_content(rx: Prescription) -> dict:
    """Exactly what the doctor's signature covers, derived from the stored row."""
    patient = rx.patient
    return {
        "code": rx.code,
        "version": rx.version,
        "revision_of": rx.revision_of_id,
        "consultation_id": rx.consultation_id,
        "patient": {"id": rx.patient_id, "name": patient.name, "id_number": patient.id_number_masked},
        "doctor_user_id": rx.doctor_user_id,
        "hospital_id": rx.hospital_id,
        "department_id": rx.department_id,
        "diagnosis": {"icd10": rx.icd10, "name": rx.diagnosis_name, "chronic": rx.chronic},
        "acute": rx.acute,
        "long_prescription": rx.long_prescription,
        "long_reason": rx.long_reason,
        "override_code": rx.override_code,
        "override_reason": rx.override_reason,
        "findings": [f["code"] for f in rx.findings or []],
        "signed_at": iso(rx.signed_at),
        "valid_until": iso(rx.valid_until),
        "note": rx.note,
        "items": [
            {
                "drug_code": i.drug_code,
                "name": i.name_zh,
                "strength": i.strength,
                "dose": i.dose,
                "unit": i.dose_unit,
                "frequency": i.frequency,
                "route": i.route,
                "days": i.days,
                "quantity": i.quantity,
                "unit_price_fen": i.unit_price_fen,
                "instructions": i.instructions,
            }
            for i in rx.items
        ],
    }


def valid_until_for(signed_at: datetime, validity_days: int) -> datetime:
    """Midnight (local) at the end of the issue day, or of the extended validity (max 3 days)."""
    day = clock.to_local(signed_at).date() + timedelta(days=validity_days)
    return datetime(day.year, day.month, day.day, tzinfo=clock.local_tz()).astimezone(UTC)


def append_trail(rx: Prescription, kind: str, signer: User, content: dict, decision: str | None = None) -> None:
    db.session.add(
        PrescriptionTrail(
            prescription_id=rx.id,
            kind=kind,
            signer_user_id=signer.id,
            content=content,
            digest=signing.digest(content),
            signature=signing.sign(signer.id, content),
            public_key=signing.public_key_b64(signer.id),
            decision=decision,
        )
    )


def check_override(findings: list[safety.Finding], code: str | None, text: str | None) -> tuple[str, str]:
    """Warnings need a coded reason and words that explain it; `override_required` names them."""
    warnings = safety.warnings(findings)
    if not warnings:
        return "", ""
    code, text = (code or "").strip(), (text or "").strip()
    named = {"findings": [f.as_dict() for f in warnings]}
    if code not in OVERRIDE_REASONS:
        error = ValidationFailed(
            "override_required",
            _l("Override needed for: %(findings)s. Choose a reason and explain it."),
            field="override_code",
            findings=" · ".join(f.message for f in warnings),
        )
        error.extra = named
        raise error
    if len(text) < MIN_OVERRIDE_TEXT or text.lower().strip(".!。！ ") in EMPTY_REASONS:
        error = ValidationFailed(
            "override_reason_required",
            _l("Explain the override in your own words (a bare “ok” is not a reason)."),
            field="override_reason",
        )
        error.extra = named
        raise error
    return code, text[:1000]


def sign_prescription(
    doctor_user: User, prescription_id: int, override_reason: str | None = None, override_code: str | None = None
) -> Prescription:
    """Check every rule anew (with today's active medications) and sign: blocking findings refuse,
    warnings need a coded override; afterwards nothing changes."""
    rx = drafts.own_draft(doctor_user, prescription_id)
    consultation = consultations.require_accepted_by(doctor_user, rx.consultation_id)
    diagnoses.require_prescribable_diagnosis(consultation.diagnosis)
    draft = drafts.draft_of(rx)
    findings = safety.run_checks(draft.items, drafts.context_for(consultation, draft, rx))
    drafts.refuse_blocking(findings)
    rx.override_code, rx.override_reason = check_override(findings, override_code, override_reason)
    rx.findings = [f.as_dict() for f in findings]
    move_to(rx, S.SIGNED)
    rx.valid_until = valid_until_for(rx.signed_at, rx.validity_days)
    db.session.flush()
    append_trail(rx, "doctor", doctor_user, canonical_content(rx))
    if rx.revision_of_id:
        move_to(db.session.get(Prescription, rx.revision_of_id), S.SUPERSEDED)
    audit.record(
        doctor_user.id,
        rx.patient_id,
        "sign",
        "prescription",
        rx.id,
        overrides=[f.code for f in findings],
        override_code=rx.override_code,
        override_reason=rx.override_reason,
    )
    db.session.commit()
    _announce_signed(rx)
    return rx


def summary(rx: Prescription) -> dict:
    """The small payload of notifications and queue rows."""
    return {
        "prescription_id": rx.id,
        "code": rx.code,
        "status": rx.status,
        "patient_name": rx.patient.name,
        "doctor_name": rx.doctor_user.name,
        "diagnosis": rx.diagnosis_name,
        "icd10": rx.icd10,
        "items": len(rx.items),
        "signed_at": iso(rx.signed_at),
        "warnings": len(rx.findings or []),
    }


def _announce_signed(rx: Prescription) -> None:
    """The prescribing hospital's pharmacists are told to review it; the consultation's own room
    (its patient and doctor) sees it appear."""
    payload = summary(rx)
    notify.notify_users(access.reviewing_pharmacists(rx.hospital_id), "prescription.signed", payload)
    notify.broadcast(access.review_room(rx.hospital_id), "prescription.signed", payload)
    announce_to_consultation(rx)


def announce_to_consultation(rx: Prescription) -> None:
    """After commit: the consultation page of the patient and of the doctor shows the prescription
    and its status live (the room admits only them once the consultation is accepted)."""
    payload = {
        **summary(rx),
        "consultation_id": rx.consultation_id,
        "status": rx.effective_status,
        "drug_names": [item.name_zh for item in rx.items],
        "url": f"/prescriptions/{rx.id}",
    }
    notify.broadcast(consultation_room(rx.consultation_id), "consultation.prescription", payload)


def review_content(rx: Prescription, doctor_digest: str) -> dict:
    decision = S.APPROVED if rx.status in ONCE_APPROVED else S.REJECTED  # the review's outcome, whatever came after
    return {
        "code": rx.code,
        "doctor_digest": doctor_digest,
        "decision": decision,
        "reason": rx.reject_reason,
        "reviewer_user_id": rx.reviewer_user_id,
        "reviewed_at": iso(rx.reviewed_at),
    }


def trail(rx: Prescription, kind: str) -> PrescriptionTrail | None:
    query = (
        db.select(PrescriptionTrail).filter_by(prescription_id=rx.id, kind=kind).order_by(PrescriptionTrail.id.desc())
    )
    return db.session.execute(query.limit(1)).scalar_one_or_none()


class Signature(NamedTuple):
    """What the integrity check needs of a trail entry, with its signer's key as it is today."""

    digest: str
    signature: str
    public_key: str
    current_key: bytes | None


# The trail's signatures of a prescription (`:prescription_id`) with each signer's current key;
# built once (with its subquery, building it cost about as much as running it).
_SIGNATURES = (
    db.select(
        PrescriptionTrail.kind,
        PrescriptionTrail.digest,
        PrescriptionTrail.signature,
        PrescriptionTrail.public_key,
        signing.current_key_of(PrescriptionTrail.signer_user_id),
    )
    .where(PrescriptionTrail.prescription_id == bindparam("prescription_id"))
    .order_by(PrescriptionTrail.id)
)


def latest_signatures(rx: Prescription) -> dict[str, Signature]:
    """The latest signature of each kind (doctor, review) and each signer's current key, in one
    statement (a prescription has a handful of trail entries at most)."""
    found = rows.read(_SIGNATURES, {"prescription_id": rx.id})
    return {kind: Signature(*rest) for kind, *rest in found}


def _signature_holds(entry: Signature | None, content: dict) -> bool:
    return (
        entry is not None
        and entry.digest == signing.digest(content)
        and signing.is_current_key(entry.public_key, entry.current_key)
        and signing.verify(entry.public_key, content, entry.signature)
    )


def verify_integrity(rx: Prescription) -> dict:
    """Re-derive the signed content from the row: any later change makes a signature fail."""
    signatures = latest_signatures(rx)
    doctor_entry = signatures.get("doctor")
    doctor_ok = _signature_holds(doctor_entry, canonical_content(rx)) if rx.status != S.DRAFT else False
    review_entry = signatures.get("review")
    review_ok = None
    if rx.status in ONCE_APPROVED or rx.status in (S.REJECTED, S.SUPERSEDED):
        expected = review_content(rx, doctor_entry.digest) if doctor_entry else {}
        review_ok = doctor_entry is not None and _signature_holds(review_entry, expected)
    return {
        "doctor_signature": doctor_ok,
        "review_signature": review_ok,
        "genuine": doctor_ok and review_ok is not False,
    }
