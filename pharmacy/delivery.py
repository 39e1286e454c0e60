"""Delivery tracking: one transition table, one move_to(); each step is timed and announced.

created → packed → picked_up → in_transit → delivered, or (picked_up | in_transit) → failed →
returned. A return refunds the order through the gateway (reversal) and restores its stock.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.services import prescriptions as rx_service
from pharmacy import orders, payment, stock
from pharmacy.models import Courier, Delivery, DeliveryEvent, DeliveryStatus, Order, OrderStatus
from pharmacy.staff import pharmacy_id_of

D = DeliveryStatus
TRANSITIONS: dict[D, frozenset[D]] = {
    D.CREATED: frozenset({D.PACKED}),
    D.PACKED: frozenset({D.PICKED_UP}),
    D.PICKED_UP: frozenset({D.IN_TRANSIT, D.FAILED}),
    D.IN_TRANSIT: frozenset({D.DELIVERED, D.FAILED}),
    D.FAILED: frozenset({D.RETURNED}),
    D.DELIVERED: frozenset(),
    D.RETURNED: frozenset(),
}
# URL actions (POST /api/deliveries/{id}/{action}) and the status each one moves to.
ACTIONS = {
    "pack": D.PACKED,
    "pick-up": D.PICKED_UP,
    "in-transit": D.IN_TRANSIT,
    "deliver": D.DELIVERED,
    "fail": D.FAILED,
    "return": D.RETURNED,
}
STAFF = (Role.DISPATCHER, Role.PHARMACIST)


def open_delivery(order: Order, actor_id: int) -> Delivery:
    """A new delivery for a dispensed order (in the caller's transaction)."""
    delivery = Delivery(order_id=order.id, pharmacy_id=order.pharmacy_id, cold_chain=order.cold_chain)
    delivery.events.append(DeliveryEvent(status=D.CREATED, actor_id=actor_id))
    order.delivery = delivery
    db.session.add(delivery)
    return delivery


def get_delivery(user: User, delivery_id: int) -> Delivery:
    """A delivery the user may see: the patient's own, or his pharmacy's for staff."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("delivery_not_found", MSG_NOT_FOUND)
    if user.role == Role.PATIENT:
        visible = delivery.order.patient_id == user.id
    else:
        visible = user.role == Role.ADMIN or pharmacy_id_of(user) == delivery.pharmacy_id
    if not visible:
        raise NotFound("delivery_not_found", MSG_NOT_FOUND)
    audit.record_read(user.id, delivery.order.patient_id, "delivery", delivery.id)
    return delivery


def list_deliveries(user: User, status: str | None = None) -> list[Delivery]:
    """The dispatcher's board: his pharmacy's deliveries, open ones first."""
    pharmacy_id = _staff_pharmacy(user)
    query = db.select(Delivery).filter_by(pharmacy_id=pharmacy_id).order_by(Delivery.id.desc()).limit(200)
    if status:
        query = query.where(Delivery.status.in_(status.split(",")))
    return list(db.session.execute(query).scalars())


def board(
    user: User, courier_id: int | None = None, cold_chain: bool | None = None, q: str | None = None
) -> list[Delivery]:
    """The dispatcher's board, filtered by courier, cold chain or a search on ref, recipient or mobile."""
    pharmacy_id = _staff_pharmacy(user)
    query = db.select(Delivery).join(Order).where(Delivery.pharmacy_id == pharmacy_id)
    if courier_id:
        query = query.where(Delivery.courier_id == courier_id)
    if cold_chain is not None:
        query = query.where(Delivery.cold_chain == cold_chain)
    if q and q.strip():
        like = f"%{q.strip()}%"
        query = query.where(Order.ref.ilike(like) | Order.recipient.ilike(like) | Order.mobile.ilike(like))
    return list(db.session.execute(query.order_by(Delivery.id.desc()).limit(300)).scalars())


def _staff_pharmacy(user: User) -> int:
    if user.role not in STAFF:
        raise Forbidden("role_refused", _l("Only pharmacy staff handle deliveries."))
    pharmacy_id = pharmacy_id_of(user)
    if pharmacy_id is None:
        raise Forbidden("not_pharmacy_staff", _l("You are not assigned to a pharmacy."))
    return pharmacy_id


def _staff_delivery(user: User, delivery_id: int) -> Delivery:
    pharmacy_id = _staff_pharmacy(user)
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.pharmacy_id != pharmacy_id:
        raise NotFound("delivery_not_found", MSG_NOT_FOUND)
    return delivery


def assign_courier(user: User, delivery_id: int, courier_id: int) -> Delivery:
    """Give the parcel to a courier of the pharmacy; cold-chain parcels only to cold-chain couriers."""
    return assign_courier_to_many(user, [delivery_id], courier_id)[0]


def assign_courier_to_many(user: User, delivery_ids: list[int], courier_id: int) -> list[Delivery]:
    """Give several parcels to one courier at once: all of them or none (each is checked first)."""
    if not delivery_ids:
        raise ValidationFailed("deliveries_required", _l("Choose at least one delivery."), field="delivery_ids")
    deliveries = [_staff_delivery(user, i) for i in dict.fromkeys(delivery_ids)]
    courier = db.session.get(Courier, courier_id)
    for delivery in deliveries:
        _check_courier(delivery, courier)
    for delivery in deliveries:
        delivery.courier_id = courier.id
    db.session.commit()
    for delivery in deliveries:
        _announce(delivery, "delivery.assigned")
    return deliveries


def _check_courier(delivery: Delivery, courier: Courier | None) -> None:
    if courier is None or courier.pharmacy_id != delivery.pharmacy_id or not courier.active:
        raise ValidationFailed("invalid_courier", _l("Choose a courier of this pharmacy."), field="courier_id")
    if delivery.cold_chain and not courier.cold_chain:
        raise ValidationFailed(
            "cold_chain_courier_required",
            _l("This parcel holds cold-chain medicine (2-8 °C): choose a cold-chain courier."),
            field="courier_id",
        )
    if delivery.status not in (D.CREATED, D.PACKED):
        raise Conflict("courier_locked", _l("The courier can change only before pick-up."))


def move_to(delivery: Delivery, status: DeliveryStatus, actor_id: int | None, note: str = "") -> None:
    """The only way a delivery's status changes: checked against TRANSITIONS, timed, recorded."""
    if status not in TRANSITIONS[D(delivery.status)]:
        raise Conflict(
            "illegal_transition",
            _l("A delivery cannot go from %(old)s to %(new)s."),
            old=delivery.status,
            new=str(status),
        )
    delivery.status = status
    delivery.updated_at = clock.now()
    delivery.events.append(DeliveryEvent(status=status, actor_id=actor_id, note=note[:200], at=delivery.updated_at))


def advance(
    user: User, delivery_id: int, action: str, received_by: str | None = None, reason: str | None = None
) -> Delivery:
    """A dispatcher moves the parcel one step (pack, pick-up, in-transit, deliver, fail, return)."""
    target = ACTIONS.get(action)
    if target is None:
        raise NotFound("unknown_action", _l("No such delivery step."))
    delivery = _staff_delivery(user, delivery_id)
    note = _check_step(delivery, target, received_by, reason)
    if target == D.RETURNED:
        return _return_and_refund(delivery, user.id, note)
    move_to(delivery, target, user.id, note)
    if target == D.DELIVERED:
        delivery.received_by = note
        orders.move_to(delivery.order, OrderStatus.DELIVERED)
    if target == D.FAILED:
        delivery.failure_reason = note
    audit.record(user.id, delivery.order.patient_id, "update", "delivery", delivery.id, status=str(target))
    db.session.commit()
    _announce(delivery, f"delivery.{target}")
    return delivery


def _check_step(delivery: Delivery, target: D, received_by: str | None, reason: str | None) -> str:
    if target == D.PICKED_UP and delivery.courier_id is None:
        raise Conflict("courier_required", _l("Assign a courier before the pick-up."))
    if target == D.DELIVERED:
        received_by = (received_by or "").strip()
        if len(received_by) < 2:
            raise ValidationFailed("received_by_required", _l("Say who received the parcel."), field="received_by")
        return received_by
    if target == D.FAILED:
        reason = (reason or "").strip()
        if len(reason) < 2:
            raise ValidationFailed("reason_required", _l("Say why the delivery failed."), field="reason")
        return reason
    return (reason or "").strip()


def _return_and_refund(delivery: Delivery, actor_id: int, note: str) -> Delivery:
    """A returned parcel: reverse the settlement first (if the insurer refuses, nothing changes
    and the step can be retried), then put the packages back and end the order refunded."""
    if D.RETURNED not in TRANSITIONS[D(delivery.status)]:
        move_to(delivery, D.RETURNED, actor_id)  # raises the illegal-transition conflict
    order = delivery.order
    payment.reverse(order.ref, actor_id)
    move_to(delivery, D.RETURNED, actor_id, note)
    for line in order.lines:
        stock.put_back(order.pharmacy_id, line.drug_code, line.batches or [], order.id, actor_id)
    order.refunded_at = clock.now()
    orders.move_to(order, OrderStatus.REFUNDED)
    audit.record(actor_id, order.patient_id, "refund", "order", order.id)
    db.session.commit()
    rx_service.mark_refunded(order.prescription_id)
    _announce(delivery, "delivery.returned")
    _announce(delivery, "order.refunded")
    return delivery


def _announce(delivery: Delivery, event: str) -> None:
    orders.announce(delivery.order, event)
