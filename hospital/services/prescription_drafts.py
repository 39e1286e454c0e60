"""Writing a prescription: drafts from an accepted consultation with a confirmed diagnosis, and the
safety checks on the draft together with the patient's active medications."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core import audit
from core.errors import MSG_NOT_FOUND, Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation
from hospital.models.prescriptions import Prescription, PrescriptionItem
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import clinical, consultations, diagnoses, formulary, medications, patients
from hospital.services import prescription_safety as safety
from hospital.services.network import doctor_for_user

MAX_VALIDITY_DAYS = 3


class SafetyRefused(ValidationFailed):
    """A draft with blocking findings: the message and `findings` list every one, not only the first."""

    def __init__(self, findings: list[safety.Finding]):
        first = findings[0]
        super().__init__(
            first.code,
            _l("This prescription is refused: %(findings)s"),
            field=first.field,
            findings=" · ".join(f.message for f in findings),
        )
        self.extra = {"findings": [f.as_dict() for f in findings]}


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


def _excluded(rx: Prescription | None, renewal_of_id: int | None = None) -> tuple[int, ...]:
    """The prescription itself, and the one it revises or renews, are not "earlier" medication."""
    if rx is None:
        return tuple(i for i in (renewal_of_id,) if i)
    return tuple(i for i in (rx.id, rx.revision_of_id, rx.renewal_of_id) if i)


def context_for(
    consultation: Consultation, draft: DraftInput, rx: Prescription | None = None, renewal_of_id: int | None = None
) -> safety.Context:
    """What the rules need: allergies, the diagnosis, the active medications, confirmed diagnoses."""
    patient_id = consultation.patient_id
    diagnosis = consultation.diagnosis
    acute = (not diagnosis.chronic) if draft.acute is None else draft.acute
    return safety.Context(
        allergens=tuple(a.allergen for a in patients.list_allergies(patient_id)),
        chronic=diagnosis.chronic,
        stable=diagnosis.stable,
        acute=acute,
        long_prescription=draft.long_prescription,
        long_reason=draft.long_reason,
        active=tuple(medications.active_medications(patient_id, exclude_ids=_excluded(rx, renewal_of_id))),
        confirmed_icd10=tuple(d.icd10 for d in patients.confirmed_diagnoses(patient_id)),
    )


def _check_header(consultation: Consultation, draft: DraftInput) -> None:
    diagnoses.require_prescribable_diagnosis(consultation.diagnosis)
    if draft.icd10 and draft.icd10.strip().upper() != consultation.diagnosis.icd10.upper():
        raise ValidationFailed(
            "diagnosis_mismatch",
            _l("A prescription must be for the consultation's diagnosis (%(icd10)s)."),
            field="icd10",
            icd10=consultation.diagnosis.icd10,
        )
    if not 1 <= draft.validity_days <= MAX_VALIDITY_DAYS:
        raise ValidationFailed("invalid_validity", _l("Validity is 1 to 3 days."), field="validity_days")


def editor_record(doctor_user: User, consultation_id: int) -> clinical.ClinicalRecord:
    """What the editor shows above the drugs: allergies, diagnoses (is this one confirmed?), the
    active medications; only in the doctor's accepted consultation (404 / 409 otherwise)."""
    consultations.require_accepted_by(doctor_user, consultation_id)
    return clinical.consultation_record(doctor_user, consultation_id)


def check_draft(
    doctor_user: User,
    consultation_id: int,
    draft: DraftInput,
    prescription_id: int | None = None,
    renewal_of_id: int | None = None,
) -> list[safety.Finding]:
    """The findings for what the doctor is typing (nothing is saved); `renewal_of_id` is the
    prescription a not-yet-saved copy renews (its supply is not an earlier medication)."""
    consultation = consultations.require_accepted_by(doctor_user, consultation_id)
    rx = db.session.get(Prescription, prescription_id) if prescription_id else None
    if rx is not None and rx.doctor_user_id != doctor_user.id:
        rx = None
    return safety.run_checks(draft.items, context_for(consultation, draft, rx, renewal_of_id))


def check_result(
    doctor_user: User,
    consultation_id: int,
    draft: DraftInput,
    prescription_id: int | None = None,
    renewal_of_id: int | None = None,
) -> dict:
    """Findings with their counts and each item's computed quantity (for the page as he types)."""
    findings = check_draft(doctor_user, consultation_id, draft, prescription_id, renewal_of_id)
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


def refuse_blocking(findings: list[safety.Finding]) -> None:
    """Refuse with every blocking finding (no override passes them)."""
    blocking = safety.blocking(findings)
    if blocking:
        raise SafetyRefused(blocking)


def item_row(position: int, drug, item: safety.ItemInput) -> PrescriptionItem:
    """One line of a prescription as written: the drug's names, units and price copied in, the
    quantity to supply worked out from dose, frequency and days (the demo history writes its
    lines through here too)."""
    quantity = safety.quantity_for(drug, item.dose, item.frequency, item.days)
    return PrescriptionItem(
        position=position,
        drug_id=drug.id,
        drug_code=drug.code,
        name_zh=drug.name_zh_full or drug.name_zh,
        name_en=drug.generic_en,
        strength=drug.strength,
        dose=float(item.dose),  # as the column gives it back, so that the signed content re-derives exactly
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


def _fill(rx: Prescription, draft: DraftInput, consultation: Consultation) -> list[safety.Finding]:
    ctx = context_for(consultation, draft, rx if rx.id else None, rx.renewal_of_id)
    findings = safety.run_checks(draft.items, ctx)
    refuse_blocking(findings)
    drugs = formulary.drugs_by_code([i.drug_code for i in draft.items])
    rx.items.clear()
    db.session.flush()
    for position, item in enumerate(draft.items, start=1):
        rx.items.append(item_row(position, drugs[item.drug_code], item))
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
    consultation = consultations.require_accepted_by(doctor_user, consultation_id)
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
    _fill(rx, draft, consultation)
    db.session.add(rx)
    db.session.flush()
    audit.record(doctor_user.id, rx.patient_id, "create", "prescription", rx.id, items=len(rx.items))
    db.session.commit()
    return rx


def _new_code() -> str:
    return "RX" + secrets.token_hex(8).upper()


def own_draft(doctor_user: User, prescription_id: int) -> Prescription:
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.doctor_user_id != doctor_user.id:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status != S.DRAFT:
        raise Conflict("not_draft", _l("A signed prescription cannot change; revise it instead."))
    return rx


def update_draft(doctor_user: User, prescription_id: int, draft: DraftInput) -> Prescription:
    """Change a draft (only the doctor who writes it, only before signing)."""
    rx = own_draft(doctor_user, prescription_id)
    consultation = consultations.require_accepted_by(doctor_user, rx.consultation_id)
    _check_header(consultation, draft)
    _fill(rx, draft, consultation)
    audit.record(doctor_user.id, rx.patient_id, "update", "prescription", rx.id, items=len(rx.items))
    db.session.commit()
    return rx


def draft_of(rx: Prescription) -> DraftInput:
    """The DraftInput a stored prescription was written from."""
    return DraftInput(
        [safety.ItemInput(i.drug_code, i.dose, i.frequency, i.days, i.route, i.instructions) for i in rx.items],
        rx.long_prescription,
        rx.long_reason,
        rx.acute,
        rx.validity_days,
        rx.note,
    )


def revise(doctor_user: User, prescription_id: int) -> Prescription:
    """A new draft version of a rejected prescription; signing it supersedes the old one."""
    old = db.session.get(Prescription, prescription_id)
    if old is None or old.doctor_user_id != doctor_user.id:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if old.status != S.REJECTED:
        raise Conflict("not_rejected", _l("Only a rejected prescription can be revised."))
    return create_draft(doctor_user, old.consultation_id, draft_of(old), old.renewal_of_id, revision_of=old)
