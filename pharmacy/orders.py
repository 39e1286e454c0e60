"""Orders: quote, pay (settle through the gateway and reserve stock in one outcome), look up.

Paying: (1) the order row and the stock reservation commit together — a conditional UPDATE
per drug, so a short drug stops everything before the insurer is asked (nothing is charged);
(2) the gateway settles under the order reference (it writes its pending row first and never
charges twice); (3) on any failure the reservation is released in the same failure path and the
order ends `payment_failed`; on success it is `paid` and the prescription is marked paid.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import audit, clock, crypto, notify
from core.errors import MSG_NOT_FOUND, AppError, Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from pharmacy import addresses, payment, stock
from pharmacy.models import Order, OrderLine, OrderStatus, Pharmacy
from pharmacy.staff import get_pharmacy, list_pharmacies, pharmacy_id_of

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
OS = OrderStatus
ORDER_TRANSITIONS: dict[OS, frozenset[OS]] = {
    OS.PENDING_PAYMENT: frozenset({OS.PAID, OS.PAYMENT_FAILED}),
    OS.PAID: frozenset({OS.DISPENSED}),
    OS.DISPENSED: frozenset({OS.DELIVERED, OS.REFUNDED}),
    OS.PAYMENT_FAILED: frozenset(),
    OS.DELIVERED: frozenset(),
    OS.REFUNDED: frozenset(),
}
LIVE_STATES = frozenset({OS.PENDING_PAYMENT, OS.PAID, OS.DISPENSED, OS.DELIVERED})


def rx():
    """hospital's prescription services (imported late: pharmacy depends on hospital, not the reverse)."""
    from hospital.services import prescriptions

    return prescriptions


@dataclass(frozen=True)
class Address:
    recipient: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str


@dataclass(frozen=True)
class Quote:
    prescription_id: int
    prescription_code: str
    pharmacy: Pharmacy
    lines: tuple
    cold_chain: bool
    drug_total_fen: int
    delivery_fee_fen: int
    total_fen: int
    fund_pay_fen: int
    acct_pay_fen: int
    cash_pay_fen: int
    insured: bool


def move_to(order: Order, status: OrderStatus) -> None:
    """The only way an order's status changes: checked against ORDER_TRANSITIONS."""
    if status not in ORDER_TRANSITIONS[OrderStatus(order.status)]:
        raise Conflict(
            "illegal_transition", _l("An order cannot go from %(old)s to %(new)s."), old=order.status, new=str(status)
        )
    order.status = status
    if status not in LIVE_STATES:
        order.live_prescription_id = None


def check_address(data: dict) -> Address:
    """A delivery address a courier can use: recipient, 11-digit mobile, region and detail."""
    values = {k: (data.get(k) or "").strip() for k in ("recipient", "mobile", "province", "city", "district", "detail")}
    if not 2 <= len(values["recipient"]) <= 64:
        raise ValidationFailed("invalid_recipient", _l("Enter the recipient's name."), field="recipient")
    if not MOBILE_RE.match(values["mobile"]):
        raise ValidationFailed("invalid_mobile", _l("Enter an 11-digit mainland mobile number."), field="mobile")
    for name, label in (("province", _l("province")), ("city", _l("city")), ("district", _l("district"))):
        if not 2 <= len(values[name]) <= 20:
            raise ValidationFailed("invalid_region", _l("Enter the %(part)s."), field=name, part=label)
    if not 5 <= len(values["detail"]) <= 200:
        raise ValidationFailed(
            "invalid_detail", _l("Enter the street, building and room (5 to 200 characters)."), field="detail"
        )
    return Address(**values)


def default_pharmacy_for(hospital_id: int | None) -> Pharmacy:
    """The prescribing hospital's own pharmacy, else the first one."""
    pharmacies = list_pharmacies()
    if not pharmacies:
        raise NotFound("pharmacy_not_found", _l("No pharmacy is open."))
    return next((p for p in pharmacies if p.hospital_id == hospital_id), pharmacies[0])


def delivery_fee(pharmacy: Pharmacy, cold_chain: bool) -> int:
    return pharmacy.cold_chain_fee_fen if cold_chain else pharmacy.delivery_fee_fen


def _pharmacy(payable, pharmacy_id: int | None) -> Pharmacy:
    return get_pharmacy(pharmacy_id) if pharmacy_id else default_pharmacy_for(payable.hospital_id)


def _certno(user: User) -> str | None:
    return crypto.decrypt(user.id_number_enc) if user.id_number_enc else None


def quote(user: User, prescription_id: int, voucher_token: str | None = None, pharmacy_id: int | None = None) -> Quote:
    """What the patient would pay: lines, delivery fee and the insurer's pre-settled split."""
    payable = rx().payable_prescription(prescription_id, user.id)
    pharmacy = _pharmacy(payable, pharmacy_id)
    cold = any(line.cold_chain for line in payable.lines)
    fee = delivery_fee(pharmacy, cold)
    claim = payment.build_claim(payable, _new_ref(), voucher_token, fee, _certno(user))
    split = payment.presettle(claim)
    audit.record_read(user.id, user.id, "prescription", prescription_id, purpose="order_quote")
    drug_total = sum(line.total_fen for line in payable.lines)
    return Quote(
        prescription_id=payable.id,
        prescription_code=payable.code,
        pharmacy=pharmacy,
        lines=tuple(payable.lines),
        cold_chain=cold,
        drug_total_fen=drug_total,
        delivery_fee_fen=fee,
        total_fen=split.medfee_sumamt,
        fund_pay_fen=split.fund_pay_sumamt,
        acct_pay_fen=split.acct_pay,
        cash_pay_fen=split.psn_cash_pay,
        insured=bool(voucher_token),
    )


def _new_ref() -> str:
    """The order reference (medOrgOrd): date + random, unique and unguessable."""
    return f"RX{clock.local_now():%Y%m%d}{secrets.token_hex(6).upper()}"


def _diagnosis(payable) -> str:
    return f"{payable.icd10} {payable.diagnosis_name}".strip()


def _new_order(user: User, payable, pharmacy: Pharmacy, address: Address, pay_method: str) -> Order:
    cold = any(line.cold_chain for line in payable.lines)
    fee = delivery_fee(pharmacy, cold)
    drug_total = sum(line.total_fen for line in payable.lines)
    order = Order(
        ref=_new_ref(),
        patient_id=user.id,
        pharmacy_id=pharmacy.id,
        prescription_id=payable.id,
        prescription_code=payable.code,
        live_prescription_id=payable.id,
        pay_method=pay_method,
        cold_chain=cold,
        diagnosis=_diagnosis(payable)[:200],
        recipient=address.recipient,
        mobile=address.mobile,
        province=address.province,
        city=address.city,
        district=address.district,
        address_detail=address.detail,
        drug_total_fen=drug_total,
        delivery_fee_fen=fee,
        total_fen=drug_total + fee,
        lines=[
            OrderLine(
                drug_code=ln.drug_code,
                name_zh=ln.name_zh,
                name_en=ln.name_en,
                insurance_class=ln.insurance_class,
                quantity=ln.quantity,
                unit_price_fen=ln.unit_price_fen,
                total_fen=ln.total_fen,
                cold_chain=ln.cold_chain,
            )
            for ln in payable.lines
        ],
    )
    db.session.add(order)
    return order


def _reserve_all(order: Order) -> None:
    for line in order.lines:
        stock.reserve(order.pharmacy_id, line.drug_code, line.quantity, order.id, line.name_zh)


def _open_order(user: User, payable, pharmacy: Pharmacy, address: Address, pay_method: str) -> Order:
    """Step 1: the order and its reservation, committed together or not at all."""
    try:
        order = _new_order(user, payable, pharmacy, address, pay_method)
        db.session.flush()
        _reserve_all(order)
        audit.record(user.id, user.id, "create", "order", order.id, prescription_id=payable.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("already_ordered", _l("This prescription already has an order.")) from None
    except AppError:
        db.session.rollback()
        raise
    return order


def _fail_payment(order: Order, err: Exception) -> None:
    """Step 3, failure: release every reserved package and close the order; nothing was charged."""
    db.session.rollback()
    for line in order.lines:
        stock.release(order.pharmacy_id, line.drug_code, line.quantity, order.id, "payment failed")
    order.failure_reason = (err.render_message() if isinstance(err, AppError) else type(err).__name__)[:200]
    move_to(order, OrderStatus.PAYMENT_FAILED)
    db.session.commit()


def place_order(
    user: User,
    prescription_id: int,
    address: dict | None = None,
    voucher_token: str | None = None,
    pharmacy_id: int | None = None,
    address_id: int | None = None,
) -> Order:
    """Pay for an approved prescription: reserve stock, settle, and end paid — or change nothing.
    The address is given whole or as one of the patient's saved addresses (address_id)."""
    if address_id is not None:
        address = addresses.as_order_address(user, address_id)
    address_ok = check_address(address or {})
    payable = rx().payable_prescription(prescription_id, user.id)
    pharmacy = _pharmacy(payable, pharmacy_id)
    pay_method = "voucher" if voucher_token else "self"
    order = _open_order(user, payable, pharmacy, address_ok, pay_method)
    try:
        claim = payment.build_claim(payable, order.ref, voucher_token, order.delivery_fee_fen, _certno(user))
        paid = payment.settle(claim, actor_id=user.id)
    except Exception as err:
        if payment.outcome_unknown(err):
            # The insurer may have charged: keep the reservation; the gateway's resolve step
            # tells us the outcome (settlement_resolved below), never a second charge.
            db.session.rollback()
            raise
        _fail_payment(order, err)
        raise
    _finish_paid(order, paid)
    return order


def _finish_paid(order: Order, paid: payment.Paid) -> None:
    _record_paid(order, paid)
    rx().mark_paid(order.prescription_id, order.ref)
    announce(order, "order.paid")


def settlement_resolved(ref: str, paid: payment.Paid | None, status: str) -> None:
    """The gateway resolved an unknown settlement: finish the waiting order either way."""
    order = db.session.execute(db.select(Order).filter_by(ref=ref)).scalar_one_or_none()
    if order is None or order.status != OrderStatus.PENDING_PAYMENT:
        return
    if paid is not None:
        _finish_paid(order, paid)
    elif status == "failed":
        _fail_payment(order, RuntimeError("settlement failed"))
        announce(order, "order.payment_failed")


payment.on_resolved(settlement_resolved)


def _record_paid(order: Order, paid: payment.Paid) -> None:
    order.setl_id = paid.setl_id
    order.total_fen, order.fund_pay_fen = paid.total_fen, paid.fund_pay_fen
    order.acct_pay_fen, order.cash_pay_fen = paid.acct_pay_fen, paid.cash_pay_fen
    order.paid_at = clock.now()
    move_to(order, OrderStatus.PAID)
    db.session.commit()


def event_payload(order: Order) -> dict:
    delivery = order.delivery
    return {
        "order_id": order.id,
        "ref": order.ref,
        "status": order.status,
        "delivery_id": delivery.id if delivery else None,
        "delivery_status": delivery.status if delivery else None,
        "at": clock.now().astimezone(clock.local_tz()).isoformat(),
    }


def announce(order: Order, event: str) -> None:
    """Tell the patient (stored notification) and everyone watching the order or the pharmacy."""
    payload = event_payload(order)
    notify.notify_user(order.patient_id, event, payload)
    notify.broadcast(f"order:{order.id}", event, payload)
    notify.broadcast(f"pharmacy:{order.pharmacy_id}", event, payload)


def may_see(user: User, order: Order) -> bool:
    """A patient sees his own orders; pharmacy staff their pharmacy's; administrators all."""
    if user.role == Role.PATIENT:
        return order.patient_id == user.id
    if user.role == Role.ADMIN:
        return True
    return pharmacy_id_of(user) == order.pharmacy_id


def get_order(user: User, order_id: int, audit_read: bool = True) -> Order:
    """One order the user may see (404 otherwise, so others' orders do not leak)."""
    order = db.session.get(Order, order_id)
    if order is None or not may_see(user, order):
        raise NotFound("order_not_found", MSG_NOT_FOUND)
    if audit_read:
        audit.record_read(user.id, order.patient_id, "order", order.id)
    return order


def list_orders(user: User, status: str | None = None, limit: int = 100) -> list[Order]:
    """The patient's own orders, or the staff member's pharmacy's orders, newest first."""
    query = db.select(Order).order_by(Order.id.desc()).limit(limit)
    if user.role == Role.PATIENT:
        query = query.where(Order.patient_id == user.id)
    elif user.role != Role.ADMIN:
        query = query.where(Order.pharmacy_id == (pharmacy_id_of(user) or -1))
    if status:
        query = query.where(Order.status.in_(status.split(",")))
    orders = list(db.session.execute(query).scalars())
    if user.role == Role.PATIENT:
        audit.record_read(user.id, user.id, "order", None, count=len(orders))
    return orders


def timeline(order: Order) -> list[dict]:
    """Every step with its time: ordered, paid, dispensed, then the delivery's steps."""
    steps = [{"status": "created", "at": order.created_at, "note": ""}]
    if order.paid_at:
        steps.append({"status": "paid", "at": order.paid_at, "note": ""})
    if order.status == OrderStatus.PAYMENT_FAILED:
        steps.append({"status": "payment_failed", "at": order.created_at, "note": order.failure_reason or ""})
    if order.dispensed_at:
        steps.append({"status": "dispensed", "at": order.dispensed_at, "note": ""})
    if order.delivery:
        steps += [{"status": f"delivery_{e.status}", "at": e.at, "note": e.note} for e in order.delivery.events]
    if order.refunded_at:
        steps.append({"status": "refunded", "at": order.refunded_at, "note": ""})
    return steps
