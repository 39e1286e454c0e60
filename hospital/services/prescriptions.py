"""Prescriptions: writing from an accepted consultation, the doctor's signature, pharmacist review,
validity and expiry, and the contract the pharmacy uses (payable / paid / dispensed / refunded).

Transactions: every function here commits its own change (with its audit entry) and then sends
its notifications; `mark_paid` / `mark_dispensed` / `mark_refunded` are idempotent when the
prescription is already in the target state, so a retried order step is harmless.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l

from core import audit, clock, notify, rooms, signing
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.patients import Allergy
from hospital.models.prescriptions import Prescription, PrescriptionItem, PrescriptionTrail
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import formulary
from hospital.services import prescription_safety as safety
from hospital.services.network import doctor_for_user

REVIEW_ROOM = "rx-review:queue"
MAX_VALIDITY_DAYS = 3

# The one transition table (DESIGN §2): anything else is a 409 illegal_transition.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SIGNED},
    S.SIGNED: {S.APPROVED, S.REJECTED, S.EXPIRED},
    S.REJECTED: {S.SUPERSEDED},
    S.APPROVED: {S.PAID, S.EXPIRED},
    S.PAID: {S.DISPENSED, S.REFUNDED},
    S.DISPENSED: {S.REFUNDED},  # a delivery that failed and came back after dispensing
}
ONCE_APPROVED = (S.APPROVED, S.PAID, S.DISPENSED, S.EXPIRED, S.REFUNDED)


def move_to(rx: Prescription, target: str) -> None:
    """The only place a prescription's status changes (caller commits)."""
    if target not in TRANSITIONS.get(rx.status, set()):
        raise Conflict(
            "illegal_transition",
            _l("A prescription cannot go from %(current)s to %(target)s."),
            current=rx.status,
            target=target,
        )
    rx.status = target
    now = clock.now()
    stamp = {S.SIGNED: "signed_at", S.PAID: "paid_at", S.DISPENSED: "dispensed_at"}.get(target)
    if stamp:
        setattr(rx, stamp, now)
    elif target in (S.EXPIRED, S.REFUNDED, S.SUPERSEDED):
        rx.ended_at = now
    elif target in (S.APPROVED, S.REJECTED):
        rx.reviewed_at = now


rooms.register_room_kind("rx-review", lambda user, ident: user.role == Role.PHARMACIST and ident == "queue")


# --- access -------------------------------------------------------------------------------------


def _consultations():
    """The consultation engineer's services (imported late: they may import ours)."""
    from hospital.services import consultations

    return consultations


def _get(prescription_id: int) -> Prescription:
    rx = db.session.get(Prescription, prescription_id)
    if rx is None:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    return rx


def may_see(user: User, rx: Prescription) -> bool:
    """The patient, the prescribing doctor, and pharmacists once it is signed."""
    if user.role == Role.PATIENT:
        return rx.patient_id == user.id and rx.status != S.DRAFT
    if user.role == Role.DOCTOR:
        return rx.doctor_user_id == user.id
    return user.role == Role.PHARMACIST and rx.status != S.DRAFT


def get_prescription_for(user: User, prescription_id: int) -> Prescription:
    """A prescription the user may see (404 otherwise, so its existence does not leak); audited."""
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or not may_see(user, rx):
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    audit.record_read(user.id, rx.patient_id, "prescription", rx.id)
    return rx


def get_with_integrity(user: User, prescription_id: int) -> Prescription:
    """A prescription the user may see, with the result of checking its signatures against the row."""
    rx = get_prescription_for(user, prescription_id)
    rx.integrity = verify_integrity(rx)
    return rx


def list_for(user: User, status: str | None = None, consultation_id: int | None = None) -> list[Prescription]:
    """The user's prescriptions: a patient's own, a doctor's written ones, the pharmacists' all signed."""
    query = db.select(Prescription).order_by(Prescription.id.desc())
    if user.role == Role.PATIENT:
        query = query.where(Prescription.patient_id == user.id, Prescription.status != S.DRAFT)
    elif user.role == Role.DOCTOR:
        query = query.where(Prescription.doctor_user_id == user.id)
    elif user.role == Role.PHARMACIST:
        query = query.where(Prescription.status != S.DRAFT)
    else:
        raise Forbidden("role_refused", _l("Your role may not do this."))
    if status:
        query = query.where(Prescription.status == status)
    if consultation_id:
        query = query.where(Prescription.consultation_id == consultation_id)
    rows = list(db.session.execute(query.limit(200)).scalars())
    for patient_id in {rx.patient_id for rx in rows}:
        audit.record(user.id, patient_id, "read", "prescription_list")
    db.session.commit()
    return rows


def allergies_of(patient_id: int) -> list[Allergy]:
    """The patient's recorded allergies (shown to the reviewing pharmacist)."""
    return list(db.session.execute(db.select(Allergy).filter_by(patient_id=patient_id)).scalars())


def review_queue() -> list[Prescription]:
    """Signed prescriptions waiting for a pharmacist, oldest first."""
    query = db.select(Prescription).where(Prescription.status == S.SIGNED).order_by(Prescription.signed_at)
    return list(db.session.execute(query).scalars())


# --- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftInput:
    items: list[safety.ItemInput]
    long_prescription: bool = False
    long_reason: str = ""
    acute: bool | None = None
    validity_days: int = 1
    note: str = ""
    icd10: str | None = None


def draft_input(data: dict) -> DraftInput:
    """A DraftInput from the API's or the page's dict."""
    items = [
        safety.ItemInput(
            i["drug_code"],
            float(i["dose"]),
            i["frequency"],
            int(i["days"]),
            i.get("route"),
            i.get("instructions") or "",
        )
        for i in data.get("items", [])
    ]
    return DraftInput(
        items,
        bool(data.get("long_prescription")),
        data.get("long_reason") or "",
        data.get("acute"),
        int(data.get("validity_days") or 1),
        data.get("note") or "",
        data.get("icd10"),
    )


def _context(consultation, draft: DraftInput) -> safety.Context:
    allergens = db.session.execute(db.select(Allergy.allergen).filter_by(patient_id=consultation.patient_id)).scalars()
    diagnosis = consultation.diagnosis
    acute = (not diagnosis.chronic) if draft.acute is None else draft.acute
    return safety.Context(
        tuple(allergens), diagnosis.chronic, diagnosis.stable, acute, draft.long_prescription, draft.long_reason
    )


def _check_header(consultation, draft: DraftInput) -> None:
    if draft.icd10 and draft.icd10.strip().upper() != consultation.diagnosis.icd10.upper():
        raise ValidationFailed(
            "diagnosis_mismatch",
            _l("A prescription must be for the consultation's diagnosis (%(icd10)s)."),
            field="icd10",
            icd10=consultation.diagnosis.icd10,
        )
    if not 1 <= draft.validity_days <= MAX_VALIDITY_DAYS:
        raise ValidationFailed("invalid_validity", _l("Validity is 1 to 3 days."), field="validity_days")


def check_draft(doctor_user: User, consultation_id: int, draft: DraftInput) -> list[safety.Finding]:
    """The findings for what the doctor is typing (nothing is saved)."""
    consultation = _consultations().require_accepted_by(doctor_user, consultation_id)
    return safety.run_checks(draft.items, _context(consultation, draft))


def check_result(doctor_user: User, consultation_id: int, draft: DraftInput) -> dict:
    """Findings with their counts and each item's computed quantity (for the page as he types)."""
    findings = check_draft(doctor_user, consultation_id, draft)
    drugs = formulary.drugs_by_code([i.drug_code for i in draft.items])
    quantities = [
        safety.quantity_for(drugs[i.drug_code], i.dose, i.frequency, i.days)
        if i.drug_code in drugs and i.frequency in safety.FREQUENCIES and i.dose > 0
        else None
        for i in draft.items
    ]
    return {
        "findings": [f.as_dict() for f in findings],
        "blocking": len(safety.blocking(findings)),
        "warnings": len(safety.warnings(findings)),
        "quantities": quantities,
    }


def _refuse_blocking(findings: list[safety.Finding]) -> None:
    first = next(iter(safety.blocking(findings)), None)
    if first is not None:
        raise ValidationFailed(first.code, first.message, field=first.field)


def _fill(rx: Prescription, draft: DraftInput, consultation) -> list[safety.Finding]:
    findings = safety.run_checks(draft.items, _context(consultation, draft))
    _refuse_blocking(findings)
    drugs = formulary.drugs_by_code([i.drug_code for i in draft.items])
    rx.items.clear()
    db.session.flush()
    for position, item in enumerate(draft.items, start=1):
        drug = drugs[item.drug_code]
        quantity = safety.quantity_for(drug, item.dose, item.frequency, item.days)
        rx.items.append(
            PrescriptionItem(
                position=position,
                drug_id=drug.id,
                drug_code=drug.code,
                name_zh=drug.name_zh_full or drug.name_zh,
                name_en=drug.generic_en,
                strength=drug.strength,
                dose=item.dose,
                dose_unit=drug.dose_unit,
                frequency=item.frequency,
                route=item.route or drug.route,
                days=item.days,
                quantity=quantity,
                package_unit_zh=drug.package_unit_zh,
                package_unit_en=drug.package_unit_en,
                unit_price_fen=drug.price_fen,
                total_fen=drug.price_fen * quantity,
                insurance_class=drug.insurance_class,
                cold_chain=drug.cold_chain,
                instructions=item.instructions[:200],
            )
        )
    ctx = _context(consultation, draft)
    rx.acute, rx.long_prescription, rx.long_reason = ctx.acute, draft.long_prescription, draft.long_reason.strip()
    rx.validity_days, rx.note = draft.validity_days, draft.note.strip()
    rx.findings = [f.as_dict() for f in findings]
    return findings


def create_draft(
    doctor_user: User,
    consultation_id: int,
    draft: DraftInput,
    renewal_of_id: int | None = None,
    revision_of: Prescription | None = None,
) -> Prescription:
    """A new draft in the doctor's accepted consultation (blocking findings refuse it)."""
    consultation = _consultations().require_accepted_by(doctor_user, consultation_id)
    _check_header(consultation, draft)
    doctor = doctor_for_user(doctor_user.id)
    diagnosis = consultation.diagnosis
    rx = Prescription(
        code=_new_code(),
        consultation_id=consultation.id,
        patient_id=consultation.patient_id,
        doctor_id=doctor.id,
        doctor_user_id=doctor_user.id,
        hospital_id=doctor.hospital_id,
        department_id=consultation.department_id,
        diagnosis_id=diagnosis.id,
        icd10=diagnosis.icd10,
        diagnosis_name=diagnosis.diagnosis,
        chronic=diagnosis.chronic,
        status=S.DRAFT,
        renewal_of_id=renewal_of_id,
        version=(revision_of.version + 1) if revision_of else 1,
        revision_of_id=revision_of.id if revision_of else None,
    )
    db.session.add(rx)
    _fill(rx, draft, consultation)
    db.session.flush()
    audit.record(doctor_user.id, rx.patient_id, "create", "prescription", rx.id, items=len(rx.items))
    db.session.commit()
    return rx


def _new_code() -> str:
    return "RX" + secrets.token_hex(8).upper()


def _own_draft(doctor_user: User, prescription_id: int) -> Prescription:
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.doctor_user_id != doctor_user.id:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status != S.DRAFT:
        raise Conflict("not_draft", _l("A signed prescription cannot change; revise it instead."))
    return rx


def update_draft(doctor_user: User, prescription_id: int, draft: DraftInput) -> Prescription:
    """Change a draft (only the doctor who writes it, only before signing)."""
    rx = _own_draft(doctor_user, prescription_id)
    consultation = _consultations().require_accepted_by(doctor_user, rx.consultation_id)
    _check_header(consultation, draft)
    _fill(rx, draft, consultation)
    audit.record(doctor_user.id, rx.patient_id, "update", "prescription", rx.id, items=len(rx.items))
    db.session.commit()
    return rx


def revise(doctor_user: User, prescription_id: int) -> Prescription:
    """A new draft version of a rejected prescription; signing it supersedes the old one."""
    old = db.session.get(Prescription, prescription_id)
    if old is None or old.doctor_user_id != doctor_user.id:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if old.status != S.REJECTED:
        raise Conflict("not_rejected", _l("Only a rejected prescription can be revised."))
    draft = DraftInput(
        [safety.ItemInput(i.drug_code, i.dose, i.frequency, i.days, i.route, i.instructions) for i in old.items],
        old.long_prescription,
        old.long_reason,
        old.acute,
        old.validity_days,
        old.note,
    )
    return create_draft(doctor_user, old.consultation_id, draft, old.renewal_of_id, revision_of=old)


# --- signature ----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
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
        "override_reason": rx.override_reason,
        "findings": [f["code"] for f in rx.findings or []],
        "signed_at": _iso(rx.signed_at),
        "valid_until": _iso(rx.valid_until),
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


def _append_trail(rx: Prescription, kind: str, signer: User, content: dict, decision: str | None = None) -> None:
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


def sign_prescription(doctor_user: User, prescription_id: int, override_reason: str | None = None) -> Prescription:
    """Check every rule anew and sign: warnings need an override reason; afterwards nothing changes."""
    rx = _own_draft(doctor_user, prescription_id)
    consultation = _consultations().require_accepted_by(doctor_user, rx.consultation_id)
    draft = DraftInput(
        [safety.ItemInput(i.drug_code, i.dose, i.frequency, i.days, i.route) for i in rx.items],
        rx.long_prescription,
        rx.long_reason,
        rx.acute,
        rx.validity_days,
    )
    findings = safety.run_checks(draft.items, _context(consultation, draft))
    _refuse_blocking(findings)
    reason = (override_reason or "").strip()
    if safety.warnings(findings) and len(reason) < 2:
        raise ValidationFailed(
            "override_required",
            _l("Some checks need your attention: confirm with a reason to override them."),
            field="override_reason",
        )
    rx.findings, rx.override_reason = [f.as_dict() for f in findings], reason if findings else ""
    move_to(rx, S.SIGNED)
    rx.valid_until = valid_until_for(rx.signed_at, rx.validity_days)
    db.session.flush()
    _append_trail(rx, "doctor", doctor_user, canonical_content(rx))
    if rx.revision_of_id:
        move_to(db.session.get(Prescription, rx.revision_of_id), S.SUPERSEDED)
    audit.record(doctor_user.id, rx.patient_id, "sign", "prescription", rx.id, overrides=[f.code for f in findings])
    db.session.commit()
    _announce_signed(rx)
    return rx


def _announce_signed(rx: Prescription) -> None:
    payload = summary(rx)
    pharmacists = db.session.execute(db.select(User.id).filter_by(role=Role.PHARMACIST, active=True)).scalars()
    notify.notify_users(list(pharmacists), "prescription.signed", payload)
    notify.broadcast(REVIEW_ROOM, "prescription.signed", payload)


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
        "signed_at": _iso(rx.signed_at),
        "warnings": len(rx.findings or []),
    }


def _review_content(rx: Prescription, doctor_digest: str) -> dict:
    decision = S.APPROVED if rx.status in ONCE_APPROVED else S.REJECTED  # the review's outcome, whatever came after
    return {
        "code": rx.code,
        "doctor_digest": doctor_digest,
        "decision": decision,
        "reason": rx.reject_reason,
        "reviewer_user_id": rx.reviewer_user_id,
        "reviewed_at": _iso(rx.reviewed_at),
    }


def _trail(rx: Prescription, kind: str) -> PrescriptionTrail | None:
    query = (
        db.select(PrescriptionTrail).filter_by(prescription_id=rx.id, kind=kind).order_by(PrescriptionTrail.id.desc())
    )
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def _signature_holds(entry: PrescriptionTrail | None, content: dict) -> bool:
    return (
        entry is not None
        and entry.digest == signing.digest(content)
        and entry.public_key == signing.public_key_b64(entry.signer_user_id)
        and signing.verify(entry.public_key, content, entry.signature)
    )


def verify_integrity(rx: Prescription) -> dict:
    """Re-derive the signed content from the row: any later change makes a signature fail."""
    doctor_entry = _trail(rx, "doctor")
    doctor_ok = _signature_holds(doctor_entry, canonical_content(rx)) if rx.status != S.DRAFT else False
    review_entry = _trail(rx, "review")
    review_ok = None
    if rx.status in ONCE_APPROVED or rx.status in (S.REJECTED, S.SUPERSEDED):
        expected = _review_content(rx, doctor_entry.digest) if doctor_entry else {}
        review_ok = doctor_entry is not None and _signature_holds(review_entry, expected)
    return {
        "doctor_signature": doctor_ok,
        "review_signature": review_ok,
        "genuine": doctor_ok and review_ok is not False,
    }


def review_prescription(pharmacist: User, prescription_id: int, decision: str, reason: str = "") -> Prescription:
    """Approve (signed by the pharmacist) or reject with a reason; the patient and doctor are told."""
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status == S.SIGNED and is_past_validity(rx):
        move_to(rx, S.EXPIRED)
        db.session.commit()
        raise Conflict("expired", _l("This prescription's validity has passed."))
    if decision not in ("approve", "reject"):
        raise ValidationFailed("invalid_decision", _l("Choose approve or reject."), field="decision")
    if decision == "reject" and len(reason.strip()) < 2:
        raise ValidationFailed("reason_required", _l("Say why the prescription is rejected."), field="reason")
    if not verify_integrity(rx)["doctor_signature"] and rx.status == S.SIGNED:
        raise Conflict("signature_invalid", _l("The doctor's signature does not match the content; do not approve."))
    move_to(rx, S.APPROVED if decision == "approve" else S.REJECTED)
    rx.reviewer_user_id, rx.reject_reason = pharmacist.id, reason.strip() if decision == "reject" else ""
    _append_trail(rx, "review", pharmacist, _review_content(rx, _trail(rx, "doctor").digest), decision=rx.status)
    audit.record(pharmacist.id, rx.patient_id, "review", "prescription", rx.id, decision=rx.status)
    db.session.commit()
    payload = {**summary(rx), "reason": rx.reject_reason}
    notify.notify_users([rx.patient_id, rx.doctor_user_id], f"prescription.{rx.status}", payload)
    notify.broadcast(REVIEW_ROOM, "prescription.reviewed", payload)
    return rx


# --- validity and expiry ------------------------------------------------------------------------


def is_past_validity(rx: Prescription) -> bool:
    return rx.past_validity


def effective_status(rx: Prescription) -> str:
    """An approved prescription past its validity is expired even before the CLI runs."""
    return rx.effective_status


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


# --- the pharmacy's contract --------------------------------------------------------------------


@dataclass(frozen=True)
class PayableLine:
    drug_code: str
    name_zh: str
    name_en: str
    insurance_class: str  # "A" / "B" / "C"
    quantity: int  # packages
    unit_price_fen: int
    total_fen: int
    cold_chain: bool


@dataclass(frozen=True)
class PayablePrescription:
    id: int
    code: str  # the verify code
    patient_id: int
    hospital_id: int
    icd10: str
    diagnosis_name: str
    chronic: bool  # insurance med_type 14 (chronic-disease outpatient)
    valid_until: datetime  # aware
    lines: tuple[PayableLine, ...]

    @property
    def total_fen(self) -> int:
        return sum(line.total_fen for line in self.lines)


def payable_prescription(prescription_id: int, patient_id: int) -> PayablePrescription:
    """What the pharmacy may charge: 404 unless the patient's, 409 not_payable unless approved and valid."""
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.patient_id != patient_id or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status != S.APPROVED or is_past_validity(rx):
        raise Conflict(
            "not_payable", _l("This prescription cannot be paid (status: %(status)s)."), status=effective_status(rx)
        )
    lines = tuple(
        PayableLine(
            i.drug_code,
            i.name_zh,
            i.name_en,
            i.insurance_class,
            i.quantity,
            i.unit_price_fen,
            i.total_fen,
            i.cold_chain,
        )
        for i in rx.items
    )
    return PayablePrescription(
        rx.id, rx.code, rx.patient_id, rx.hospital_id, rx.icd10, rx.diagnosis_name, rx.chronic, rx.valid_until, lines
    )


def _mark(prescription_id: int, target: str, **detail) -> Prescription:
    rx = _get(prescription_id)
    if rx.status != target:
        move_to(rx, target)
        audit.record(None, rx.patient_id, target, "prescription", rx.id, **detail)
        db.session.commit()
    return rx


def mark_paid(prescription_id: int, order_ref: str) -> None:
    """approved → paid (commits; a repeat with the same order is a no-op, another order is a 409)."""
    rx = _get(prescription_id)
    if rx.status == S.PAID and rx.order_ref != order_ref:
        raise Conflict("already_paid", _l("This prescription is already paid by another order."))
    if rx.status != S.PAID:
        rx.order_ref = order_ref
    _mark(prescription_id, S.PAID, order_ref=order_ref)


def mark_dispensed(prescription_id: int) -> None:
    """paid → dispensed (commits; idempotent)."""
    _mark(prescription_id, S.DISPENSED)


def mark_refunded(prescription_id: int) -> None:
    """paid or dispensed → refunded, for a returned order (commits; idempotent)."""
    _mark(prescription_id, S.REFUNDED)


# --- public verification ------------------------------------------------------------------------


def verify_public(code: str) -> dict:
    """What the QR shows anyone: only what the paper shows, plus genuine / approved / valid / dispensed."""
    rx = db.session.execute(db.select(Prescription).filter_by(code=code)).scalar_one_or_none()
    if rx is None or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", _l("No prescription with this code."))
    integrity = verify_integrity(rx)
    status = effective_status(rx)
    patient = rx.patient
    audit.record_read(None, rx.patient_id, "prescription_verify", rx.id)
    return {
        "code": rx.code,
        "genuine": integrity["genuine"],
        "status": status,
        "approved": rx.status in ONCE_APPROVED and rx.reviewer_user_id is not None,
        "valid": status == S.APPROVED,
        "dispensed": rx.status == S.DISPENSED,
        "dispensed_at": rx.dispensed_at,
        "hospital": rx.hospital.name_zh,
        "patient_name": _mask_name(patient.name),
        "patient_id_number": patient.id_number_masked,
        "diagnosis": rx.diagnosis_name,
        "icd10": rx.icd10,
        "doctor_name": rx.doctor_user.name,
        "pharmacist_name": rx.reviewer.name if rx.reviewer else None,
        "signed_at": rx.signed_at,
        "valid_until": rx.valid_until,
        "items": [
            {"name": i.name_zh, "strength": i.strength, "quantity": i.quantity, "unit": i.package_unit_zh}
            for i in rx.items
        ],
    }


def _mask_name(name: str) -> str:
    """王建国 → 王*国 (as printed: the paper is seen by the pharmacy, not the public)."""
    if len(name) <= 1:
        return name
    return name[0] + "*" * max(1, len(name) - 2) + (name[-1] if len(name) > 2 else "")


def _usage(item: PrescriptionItem) -> str:
    """How often and how long, in words (the doctor's history reads "每日1次 × 7天", not "qd × 7d")."""
    return f"{safety.FREQUENCY_LABELS.get(item.frequency, item.frequency)} × {_l('%(n)s days') % {'n': item.days}}"


def history_for_patient(patient_id: int) -> list[dict]:
    """The patient's prescriptions for the doctor's history panel (consultations' provider)."""
    query = (
        db.select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status != S.DRAFT)
        .order_by(Prescription.id.desc())
        .limit(50)
    )
    return [
        {
            "id": rx.id,
            "code": rx.code,
            "status": effective_status(rx),
            "signed_at": _iso(rx.signed_at),
            "diagnosis": rx.diagnosis_name,
            "icd10": rx.icd10,
            "items": [f"{i.name_zh} {i.strength} {i.dose:g}{i.dose_unit} {_usage(i)}" for i in rx.items],
        }
        for rx in db.session.execute(query).scalars()
    ]


def register_with_consultations() -> None:
    """Show prescriptions in the patient's history panel of a consultation."""
    _consultations().register_history_provider("prescriptions", history_for_patient)
