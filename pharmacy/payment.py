"""The one place pharmacy talks to the insurance gateway: build the claim, pre-settle, and pay in
phases (prepare → pending in the order's transaction → charge), reverse, resolve. Everything
crossing is a plain dataclass of `insurance.claims` / `insurance.settlement`.

It also registers the claim builder insurance's own /api/insurance/presettle uses (insurance
knows no prescriptions; pharmacy knows both sides). It imports nothing of pharmacy's orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core.errors import NotFound
from core.models import User
from hospital.services import prescriptions as rx_service
from insurance import claims as ins
from insurance import settlement
from insurance.errors import SettlementInProgress, SettlementUnknown
from pharmacy.pricing import default_pharmacy_for, delivery_fee

DELIVERY_CODE = "DELIVERY"  # the delivery fee travels as a self-paid (class C) line
Prepared = settlement.Prepared


@dataclass(frozen=True)
class Paid:
    """What the insurer charged: the split in fen and its settlement id."""

    setl_id: str | None
    total_fen: int
    fund_pay_fen: int
    acct_pay_fen: int
    cash_pay_fen: int


def build_claim(payable, ref: str, voucher_token: str | None, delivery_fee_fen: int, certno: str | None) -> ins.Claim:
    """The claim for a payable prescription (and the delivery fee), under the order reference."""
    lines = [
        ins.ClaimLine(
            code=line.drug_code,
            name=line.name_zh,
            drug_class=line.insurance_class,
            quantity=line.quantity,
            unit_price_fen=line.unit_price_fen,
        )
        for line in payable.lines
    ]
    if delivery_fee_fen:
        lines.append(
            ins.ClaimLine(
                code=DELIVERY_CODE, name="配送费", drug_class="C", quantity=1, unit_price_fen=delivery_fee_fen
            )
        )
    return ins.Claim(
        med_org_ord=ref,
        lines=tuple(lines),
        voucher_token=voucher_token or None,
        certno=certno,
        chronic=bool(payable.chronic),
        dise_codg=payable.icd10,
        dise_name=payable.diagnosis_name,
        patient_id=payable.patient_id,
        prescription_id=payable.id,
    ).validate()


def presettle(claim: ins.Claim) -> ins.Split:
    """The split the insurer would apply now (nothing charged)."""
    return settlement.presettle(claim)


def paid_of(view) -> Paid:
    """The amounts of a settled SettlementView."""
    return Paid(
        setl_id=view.setl_id,
        total_fen=view.medfee_sumamt,
        fund_pay_fen=view.fund_pay_sumamt,
        acct_pay_fen=view.acct_pay,
        cash_pay_fen=view.psn_cash_pay,
    )


def prepare(claim: ins.Claim) -> Prepared:
    """Identify the payer and reserve the 2207's msgid; nothing is charged or written of ours."""
    return settlement.prepare(claim)


def add_pending(claim: ins.Claim, prepared: Prepared) -> None:
    """Put the pending settlement into the caller's (the order's) transaction."""
    settlement.add_pending(claim, prepared)


def charge(
    claim: ins.Claim, prepared: Prepared, actor_id: int | None = None, then: Callable[[Paid], None] | None = None
) -> Paid:
    """Send the committed pending settlement's 2207 (once; retries repeat its msgid). `then(paid)`
    writes what was paid for into the settlement's own commit."""
    settled = (lambda view: then(paid_of(view))) if then is not None else None
    return paid_of(settlement.charge_pending(claim, prepared, actor_id=actor_id, then=settled))


def outcome_unknown(err: Exception) -> bool:
    """True when the insurer may have charged (no answer, or another call still settling):
    the order must wait for the resolution, not be released."""
    return isinstance(err, SettlementUnknown | SettlementInProgress)


def reverse(ref: str, actor_id: int | None = None) -> None:
    """Refund the order's settlement whole (2208)."""
    settlement.reverse(ref, actor_id=actor_id)


def settlement_status(ref: str) -> tuple[str | None, Paid | None]:
    """The status of the order's settlement (None: there is none) and, when settled, its amounts."""
    view = settlement.settlement_for(ref)
    if view is None:
        return None, None
    return view.status, paid_of(view) if view.status in ("settled", "reversing", "reversed") else None


def resolve_unknown(older_than_seconds: float) -> None:
    """Ask the insurer about every settlement left pending or unknown (6301, else 2601)."""
    settlement.resolve_unknown(older_than_seconds)


def on_resolved(fn) -> None:
    """fn(ref, paid_or_None, status) when the gateway resolves a settlement whose outcome was unknown."""

    def listener(view) -> None:
        fn(view.med_org_ord, paid_of(view) if view.status == "settled" else None, view.status)

    settlement.add_settlement_listener(listener)


def _claim_for_presettle(prescription_id: int, user: User) -> ins.Claim:
    """insurance's presettle endpoint: the claim for one of the patient's payable prescriptions."""
    if user is None or user.role != "patient":
        raise NotFound("prescription_not_found", _l("Not found, or not yours to see."))
    payable = rx_service.payable_prescription(prescription_id, user.id)
    fee = delivery_fee(default_pharmacy_for(payable.hospital_id), any(line.cold_chain for line in payable.lines))
    return build_claim(payable, f"PRE{prescription_id}", None, fee, None)


ins.set_claim_builder(_claim_for_presettle)
