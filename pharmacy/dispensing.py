"""Dispensing: a paid order leaves the shelf, batch by batch first-expiry-first-out, and gets
its delivery. The prescription is marked dispensed (its verify page says so)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import Conflict, Forbidden
from core.extensions import db
from core.models import Role, User
from hospital.services import prescriptions as rx_service
from pharmacy import stock
from pharmacy.delivery import open_delivery
from pharmacy.models import Order, OrderStatus
from pharmacy.orders import announce, get_order, move_to


def dispense(user: User, order_id: int) -> Order:
    """A pharmacist of the order's pharmacy dispenses it; nothing leaves before it is paid."""
    if user.role != Role.PHARMACIST:
        raise Forbidden("role_refused", _l("Only a pharmacist dispenses."))
    order = get_order(user, order_id, audit_read=False)
    if order.status != OrderStatus.PAID:
        raise Conflict(
            "not_paid", _l("Only a paid order can be dispensed (this one is %(status)s)."), status=order.status
        )
    for line in order.lines:
        line.batches = stock.take_fefo(order.pharmacy_id, line.drug_code, line.quantity, order.id, user.id)
    order.dispensed_at, order.dispensed_by = clock.now(), user.id
    move_to(order, OrderStatus.DISPENSED)
    open_delivery(order, user.id)
    audit.record(user.id, order.patient_id, "dispense", "order", order.id)
    db.session.commit()
    rx_service.mark_dispensed(order.prescription_id)
    announce(order, "order.dispensed")
    return order


def label(user: User, order_id: int) -> dict:
    """What the parcel label says: pharmacy, recipient, items with batch, and the cold-chain flag."""
    order = get_order(user, order_id)
    if user.role == Role.PATIENT:
        raise Forbidden("role_refused", _l("Only pharmacy staff print labels."))
    return {"order": order, "cold_chain": order.cold_chain, "lines": order.lines, "delivery": order.delivery}
