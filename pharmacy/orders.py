"""Orders: quote, pay (settle through the gateway and reserve stock in one outcome), look up.

Paying runs in phases, each of which a crash may end:
(0) the payer is identified (1101) and the settlement's msgid reserved — nothing charged, nothing
    of the order written;
(1) ONE transaction writes the order, its stock reservation (a conditional UPDATE per drug, so a
    short drug stops everything before the insurer is asked to charge) and the pending
    settlement, and binds the request's Idempotency-Key to the order;
(2) the 2207 is sent under the order reference (retries repeat its msgid: never two charges);
(3) refused → the reservation is released and the order ends `payment_failed`; charged → the
    order is `paid` and the prescription marked paid; no answer → it waits for resolution.
Whatever a crash leaves between (1) and (3), `resolve_stranded_payments` (a periodic task) ends:
it asks the insurer (6301) and finishes the order paid, or bars the lost message (2601),
releases the reservation and fails the order — so nothing stays pending beyond a few minutes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError

from core import audit, clock, crypto, failpoints, idempotency, notify, rows, tasks
from core.errors import MSG_NOT_FOUND, AppError, Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import Notification, Role, User
from core.rows import PATH, Shown, add_now, insert_row, insert_rows, labelled, values_of
from core.transitions import conditional_move_known
from hospital.services import prescriptions as rx_service
from pharmacy import addresses, payment, stock
from pharmacy.models import Courier, Delivery, DeliveryEvent, Order, OrderLine, OrderStatus, Pharmacy
from pharmacy.pricing import default_pharmacy_for, delivery_fee
from pharmacy.staff import get_pharmacy, pharmacy_id_of

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


# A payment whose request is still alive has finished long before this (the insurer's bounded
# retries included); older than this, it was left by a crash and the sweep resolves it.
STRANDED_AFTER_SECONDS = 120


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


def _check_move(order: Order, status: OrderStatus) -> None:
    if status not in ORDER_TRANSITIONS[OrderStatus(order.status)]:
        raise Conflict(
            "illegal_transition", _l("An order cannot go from %(old)s to %(new)s."), old=order.status, new=str(status)
        )


def move_to(order: Order, status: OrderStatus) -> None:
    """The only way an order's status changes: checked against ORDER_TRANSITIONS."""
    _check_move(order, status)
    order.status = status
    if status not in LIVE_STATES:
        order.live_prescription_id = None


def move_now(order: Order, status: OrderStatus, **values) -> None:
    """`move_to` written at once by a conditional UPDATE (… WHERE status = the one read): the
    payment's moves, on an order this request wrote outside the session (core/rows.py) or one the
    sweep loaded. Whoever moved the order meanwhile wins; this call is then a 409."""
    _check_move(order, status)
    if status not in LIVE_STATES:
        values["live_prescription_id"] = None
    if not conditional_move_known(order, status, **values):
        raise Conflict("order_changed", _l("This order was changed meanwhile; please reload."))


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


def _pharmacy(payable, pharmacy_id: int | None) -> Pharmacy:
    return get_pharmacy(pharmacy_id) if pharmacy_id else default_pharmacy_for(payable.hospital_id)


def _certno(user: User) -> str | None:
    return crypto.decrypt(user.id_number_enc) if user.id_number_enc else None


def quote(user: User, prescription_id: int, voucher_token: str | None = None, pharmacy_id: int | None = None) -> Quote:
    """What the patient would pay: lines, delivery fee and the insurer's pre-settled split."""
    payable = rx_service.payable_prescription(prescription_id, user.id)
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


def _new_order(user: User, payable, pharmacy: Pharmacy, address: Address, pay_method: str, ref: str) -> Order:
    """The new order and its lines, written by two Core INSERTs (no unit of work): the object is
    kept outside the session, whole as the answer and the events read it (core/rows.py)."""
    cold = any(line.cold_chain for line in payable.lines)
    fee = delivery_fee(pharmacy, cold)
    drug_total = sum(line.total_fen for line in payable.lines)
    order = Order(
        ref=ref,
        patient_id=user.id,
        pharmacy_id=pharmacy.id,
        pharmacy=pharmacy,  # loaded already: the answer and the events read it without a query
        delivery=None,  # a new order has none (known, not lazily looked up for its events)
        prescription_id=payable.id,
        prescription_code=payable.code,
        live_prescription_id=payable.id,
        status=OrderStatus.PENDING_PAYMENT.value,
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
    insert_row(order)
    for line in order.lines:
        line.order_id = order.id
    insert_rows(OrderLine, [values_of(line) for line in order.lines])
    return order


def _reserve_all(order: Order) -> None:
    for line in order.lines:
        stock.reserve(order.pharmacy_id, line.drug_code, line.quantity, order.id, line.name_zh)


@dataclass(frozen=True)
class _Payment:
    """What phase 0 produced: the order reference, its claim and the prepared settlement."""

    ref: str
    claim: object
    prepared: payment.Prepared


def _prepare_payment(user: User, payable, pharmacy: Pharmacy, voucher_token: str | None) -> _Payment:
    """Phase 0: the claim under a new order reference; payer identified, msgid reserved."""
    ref = _new_ref()
    fee = delivery_fee(pharmacy, any(line.cold_chain for line in payable.lines))
    claim = payment.build_claim(payable, ref, voucher_token, fee, _certno(user))
    return _Payment(ref, claim, payment.prepare(claim))


def _open_order(
    user: User,
    payable,
    pharmacy: Pharmacy,
    address: Address,
    paying: _Payment,
    pay_method: str,
    idempotency_id: int | None,
) -> Order:
    """Phase 1: the order, its reservation and the pending settlement, committed together or not
    at all (and the Idempotency-Key bound to the order in the same transaction)."""
    try:
        order = _new_order(user, payable, pharmacy, address, pay_method, paying.ref)
        _reserve_all(order)
        payment.add_pending(paying.claim, paying.prepared)
        if idempotency_id is not None:
            idempotency.bind(idempotency_id, f"order:{order.id}")
        audit.record_at_commit(user.id, user.id, "create", "order", order.id, prescription_id=payable.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("already_ordered", _l("This prescription already has an order.")) from None
    except AppError:
        db.session.rollback()
        raise
    return order


def _fail_payment(order: Order, err: Exception | str) -> None:
    """Step 3, failure: release every reserved package and close the order; nothing was charged."""
    db.session.rollback()
    for line in order.lines:
        stock.release(order.pharmacy_id, line.drug_code, line.quantity, order.id, "payment failed")
    reason = err if isinstance(err, str) else err.render_message() if isinstance(err, AppError) else type(err).__name__
    move_now(order, OrderStatus.PAYMENT_FAILED, failure_reason=reason[:200])
    db.session.commit()


@contextmanager
def _kept_loaded() -> Iterator[None]:
    """Keep what this request loaded and wrote usable after its commits (no expiry): a payment
    commits at each phase and would otherwise re-read the user and the pharmacy after every
    one. Nothing else writes them meanwhile: the sweep only touches orders minutes old, and
    every status change is checked by the database (conditional updates, unique constraints)."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = before


def place_order(
    user: User,
    prescription_id: int,
    address: dict | None = None,
    voucher_token: str | None = None,
    pharmacy_id: int | None = None,
    idempotency_id: int | None = None,
    address_id: int | None = None,
    answer_paid: Callable[[Order], None] | None = None,
) -> Order:
    """Pay for an approved prescription: reserve stock, settle, and end paid — or change nothing.

    The address is given whole or as one of the patient's saved addresses (`address_id`).
    `idempotency_id` (the request's Idempotency-Key record) is bound to the order when it is
    written, so that a retry after a crash gets the order's outcome. `answer_paid(order)` runs
    once the order is paid, in the transaction that commits it (the view stores its answer there).
    """
    with _kept_loaded():
        return _place_order(
            user, prescription_id, address, voucher_token, pharmacy_id, idempotency_id, address_id, answer_paid
        )


def _place_order(
    user: User,
    prescription_id: int,
    address: dict | None,
    voucher_token: str | None,
    pharmacy_id: int | None,
    idempotency_id: int | None,
    address_id: int | None,
    answer_paid: Callable[[Order], None] | None,
) -> Order:
    if address_id is not None:
        address = addresses.as_order_address(user, address_id)
    address_ok = check_address(address or {})
    # Read once: marking it paid moves it from what this read saw (no second read). Only this
    # order can pay it meanwhile (one live order per prescription, a unique constraint).
    payable = rx_service.payable_prescription(prescription_id, user.id)
    pharmacy = _pharmacy(payable, pharmacy_id)
    paying = _prepare_payment(user, payable, pharmacy, voucher_token)
    pay_method = "voucher" if voucher_token else "self"
    order = _open_order(user, payable, pharmacy, address_ok, paying, pay_method, idempotency_id)
    failpoints.hit("payment.before_insurer")
    notices: list[Notification] = []
    charged: list[payment.Paid] = []

    def record_paid(paid: payment.Paid) -> None:
        charged.append(paid)
        notices.append(_paid(order, paid, payable))
        if answer_paid is not None:
            answer_paid(order)

    try:
        payment.charge(paying.claim, paying.prepared, actor_id=user.id, then=record_paid)
    except Exception as err:
        if charged or payment.outcome_unknown(err):
            # The insurer (may have) charged: keep the reservation; resolution (the gateway's
            # resolve step or the sweep) tells us the outcome, never a second charge.
            db.session.rollback()
            raise
        _fail_payment(order, err)
        raise
    _announce_stored(order, "order.paid", *notices)
    return order


def _paid(order: Order, paid: payment.Paid, payable: rx_service.PayablePrescription | None = None) -> Notification:
    """Step 3, charged: the order and its prescription paid and the patient's notification, all in
    the settlement's own transaction (one commit: settled and paid together, or neither, and the
    sweep finishes both from the insurer's record)."""
    failpoints.hit("payment.settled")  # crash tests: charged and recorded, not yet committed
    _record_paid(order, paid)
    rx_service.mark_paid(order.prescription_id, order.ref, commit=False, payable=payable)
    return add_now(notify.add_notification(order.patient_id, "order.paid", event_payload(order)))


def _finish_paid(order: Order, paid: payment.Paid) -> None:
    """A settlement resolved later (the gateway's resolve step, the sweep): the order follows it."""
    notice = _paid(order, paid)
    db.session.commit()
    _announce_stored(order, "order.paid", notice)


def settlement_resolved(ref: str, paid: payment.Paid | None, status: str) -> None:
    """The gateway resolved an unknown settlement: finish the waiting order either way."""
    order = db.session.execute(db.select(Order).filter_by(ref=ref)).scalar_one_or_none()
    if order is None or order.status != OrderStatus.PENDING_PAYMENT:
        return
    if paid is not None:
        _finish_paid(order, paid)
    elif status == "failed":
        _fail_payment(order, "settlement failed")
        announce(order, "order.payment_failed")


payment.on_resolved(settlement_resolved)


@tasks.every(60)
def resolve_stranded_payments(older_than_seconds: float = STRANDED_AFTER_SECONDS) -> list[tuple[str, str]]:
    """Finish every order a crash left `pending_payment`: first the insurer resolves unfinished
    settlements (6301 query → settled, else 2601 correction → failed), then each stranded order
    follows its settlement — paid, or its reservation released and the order failed.
    Safe to run in several processes at once (every change is a checked transition)."""
    payment.resolve_unknown(older_than_seconds)
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    stranded = db.session.execute(
        db.select(Order).where(Order.status == OrderStatus.PENDING_PAYMENT, Order.created_at <= cutoff)
    ).scalars()
    return [(order.ref, _resolve_stranded(order)) for order in list(stranded)]


def _resolve_stranded(order: Order) -> str:
    status, paid = payment.settlement_status(order.ref)
    try:
        if paid is not None:
            _finish_paid(order, paid)
            return "paid"
        if status in (None, "failed"):
            _fail_payment(order, "payment not completed")
            announce(order, "order.payment_failed")
            return "failed"
    except Conflict:  # another process finished it meanwhile
        db.session.rollback()
    return status or "unknown"


def _record_paid(order: Order, paid: payment.Paid) -> None:
    move_now(
        order,
        OrderStatus.PAID,
        setl_id=paid.setl_id,
        total_fen=paid.total_fen,
        fund_pay_fen=paid.fund_pay_fen,
        acct_pay_fen=paid.acct_pay_fen,
        cash_pay_fen=paid.cash_pay_fen,
        paid_at=clock.now(),
    )


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


def _announce_stored(order: Order, event: str, *notices: Notification) -> None:
    """`announce` for a notification already committed with the change it tells of."""
    for notice in notices:
        notify.push(notice)
        notify.broadcast(f"order:{order.id}", event, notice.payload)
        notify.broadcast(f"pharmacy:{order.pharmacy_id}", event, notice.payload)


def may_see(user: User, order: Order) -> bool:
    """A patient sees his own orders; pharmacy staff their pharmacy's; administrators all."""
    if user.role == Role.PATIENT:
        return order.patient_id == user.id
    if user.role == Role.ADMIN:
        return True
    return pharmacy_id_of(user) == order.pharmacy_id


def order_outcome(order_id: int, patient_id: int) -> Order | None:
    """The patient's order once its payment is decided (paid or failed), else None."""
    order = db.session.get(Order, order_id)
    if order is None or order.patient_id != patient_id or order.status == OrderStatus.PENDING_PAYMENT:
        return None
    return order


def get_order(user: User, order_id: int, audit_read: bool = True) -> Order:
    """One order the user may see (404 otherwise, so others' orders do not leak)."""
    order = db.session.get(Order, order_id)
    if order is None or not may_see(user, order):
        raise NotFound("order_not_found", MSG_NOT_FOUND)
    if audit_read:
        audit.record_read(user.id, order.patient_id, "order", order.id)
    return order


# A patient's orders (`:patient_id`), or a pharmacy's (`:pharmacy_id`), or all (administrators),
# newest first (`:limit`), in some statuses (`:statuses`) when asked: rows (core.rows), with the
# pharmacy, the delivery and its courier joined, then the lines and the delivery steps of the
# whole list in one statement each. Loading them as ORM objects with four relations cost several
# times the statements. Built once per kind of list.
_orders_t = Order.__table__
_pharmacies_t = Pharmacy.__table__.alias("pharmacy")
_deliveries_t = Delivery.__table__.alias("delivery")
_couriers_t = Courier.__table__.alias("courier")
_ORDERS = (
    db.select(
        *_orders_t.c,
        *labelled(_pharmacies_t.c, "pharmacy"),
        *labelled(_deliveries_t.c, "delivery"),
        *labelled(_couriers_t.c, f"delivery{PATH}courier"),
    )
    .join(_pharmacies_t, _pharmacies_t.c.id == _orders_t.c.pharmacy_id)
    .outerjoin(_deliveries_t, _deliveries_t.c.order_id == _orders_t.c.id)
    .outerjoin(_couriers_t, _couriers_t.c.id == _deliveries_t.c.courier_id)
    .order_by(_orders_t.c.id.desc())
    .limit(bindparam("limit"))
)
_LINES_OF = rows.children_of(OrderLine.order_id, OrderLine.id)
_STEPS_OF = rows.children_of(DeliveryEvent.delivery_id, DeliveryEvent.id)


@cache
def _orders_of(scope: str, by_status: bool):
    query = _ORDERS
    if scope != "all":
        query = query.where(_orders_t.c[f"{scope}_id"] == bindparam(f"{scope}_id"))
    if by_status:
        query = query.where(_orders_t.c.status.in_(bindparam("statuses", expanding=True)))
    return query


def list_orders(user: User, status: str | None = None, limit: int = 100) -> list[Shown]:
    """The patient's own orders, or the staff member's pharmacy's orders, newest first: as the
    answer prints them (rows)."""
    params = {"limit": limit, "statuses": status.split(",") if status else []}
    if user.role == Role.PATIENT:
        scope, params["patient_id"] = "patient", user.id
    elif user.role != Role.ADMIN:
        scope, params["pharmacy_id"] = "pharmacy", pharmacy_id_of(user) or -1
    else:
        scope = "all"
    listed = rows.shaped(rows.read(_orders_of(scope, bool(status)), params))
    rows.with_children(listed, "lines", _LINES_OF, "order_id")
    for order in listed:
        if order.delivery is not None:
            order.delivery.order = order  # what the delivery's summary prints of its order
    rows.with_children([order.delivery for order in listed if order.delivery], "events", _STEPS_OF, "delivery_id")
    if user.role == Role.PATIENT:
        audit.record_read(user.id, user.id, "order", None, count=len(listed))
    return listed


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
