""" "确认收货": the patient says he has his medicine.

A parcel still on its way is delivered by his word, through the delivery machine (in transit →
delivered, received by him); one the courier already marked delivered gets his confirmation
recorded. Saying it twice changes nothing.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit, clock, notify
from core.errors import MSG_NOT_FOUND, Conflict, NotFound
from core.extensions import db
from core.models import Role, User
from pharmacy import delivery as deliveries
from pharmacy import orders, tracking
from pharmacy.models import DeliveryStatus, Order, OrderStatus


def confirm_receipt(user: User, order_id: int) -> Order:
    """The patient's own order, received: delivered through the machine, or confirmed."""
    if user.role != Role.PATIENT:
        raise NotFound("order_not_found", MSG_NOT_FOUND)
    order = orders.get_order(user, order_id, audit_read=False)
    if order.receipt_confirmed_at is not None:
        return order
    delivery = order.delivery
    if delivery is None or delivery.status not in tracking.RECEIVABLE:
        raise Conflict("not_on_its_way", _l("You can confirm receipt once the parcel is on its way to you."))
    moved = delivery.status == DeliveryStatus.IN_TRANSIT
    if moved:
        deliveries.move_to(delivery, DeliveryStatus.DELIVERED, user.id, user.name)
        delivery.received_by = user.name[:64]
        orders.move_to(order, OrderStatus.DELIVERED)
    order.receipt_confirmed_at = clock.now()
    audit.record(user.id, user.id, "update", "order", order.id, receipt_confirmed=True)
    db.session.commit()
    if moved:
        orders.announce(order, "delivery.delivered")
    else:
        notify.broadcast(f"order:{order.id}", "order.received", orders.event_payload(order))
    return order
