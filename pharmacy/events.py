"""Socket.IO rooms for orders and pharmacies: `order:<id>` (its patient and its pharmacy's
staff) and `pharmacy:<id>` (that pharmacy's staff). Events `order.*` / `delivery.*` are pushed by
the services through core.notify."""

from __future__ import annotations

from core.extensions import db
from core.models import Role, User
from core.rooms import register_room_kind
from pharmacy.models import Order
from pharmacy.staff import pharmacy_id_of


def may_join_order(user: User, ident: str) -> bool:
    """The order's patient, or staff of the pharmacy that holds it."""
    if not ident.isdigit():
        return False
    order = db.session.get(Order, int(ident))
    if order is None:
        return False
    if user.role == Role.PATIENT:
        return order.patient_id == user.id
    return pharmacy_id_of(user) == order.pharmacy_id


def may_join_pharmacy(user: User, ident: str) -> bool:
    return ident.isdigit() and pharmacy_id_of(user) == int(ident)


def on_join_order(user: User, ident: str, data: dict, sid: str) -> dict:
    """The join acknowledgement carries the current status, so a page that reconnects catches up."""
    order = db.session.get(Order, int(ident))
    delivery = order.delivery
    return {"status": order.status, "delivery_status": delivery.status if delivery else None}


register_room_kind("order", may_join_order, on_join_order)
register_room_kind("pharmacy", may_join_pharmacy)
