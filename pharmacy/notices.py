"""How the pharmacy's events read in a person's inbox and live toast (see core.notify), and the
patient's way from an approved prescription to the payment page, which this package owns."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.models import Role
from core.notify import register_notice


def _order(payload: dict, role: str) -> str:
    return f"/orders/{payload.get('order_id')}"


def _pay(payload: dict, role: str) -> str | None:
    """The payment page of an approved prescription (patients only)."""
    return f"/orders/new?prescription={payload.get('prescription_id')}" if role == Role.PATIENT else None


register_notice(
    "prescription.approved",
    _l("Your prescription is approved: pay now"),
    _l("The pharmacist approved your prescription for %(diagnosis)s. Pay for it and we deliver it to your home."),
    lambda payload, role: f"/prescriptions/{payload.get('prescription_id')}",
    role=Role.PATIENT,
    action_label=_l("Pay now"),
    action_link=_pay,
)

ORDER_NOTICES = {
    "order.paid": (_l("Payment received"), _l("Your order is paid; the pharmacy prepares your medicine.")),
    "order.payment_failed": (_l("Payment failed"), _l("Your order was not paid. Open it to try again.")),
    "order.dispensed": (
        _l("Medicine dispensed"),
        _l("The pharmacy has dispensed your medicine; it will be packed next."),
    ),
    "order.refunded": (_l("Order refunded"), _l("Your order was refunded.")),
    "delivery.assigned": (_l("Courier assigned"), _l("A courier has been chosen to bring your medicine.")),
    "delivery.packed": (_l("Order packed"), _l("Your medicine is packed and waits for the courier.")),
    "delivery.picked_up": (_l("Picked up by the courier"), _l("The courier has picked up your medicine.")),
    "delivery.in_transit": (_l("On the way"), _l("Your medicine is on its way to you.")),
    "delivery.delivered": (_l("Delivered"), _l("Your medicine was delivered.")),
    "delivery.failed": (_l("Delivery failed"), _l("Your medicine could not be delivered; the pharmacy will call you.")),
    "delivery.returned": (
        _l("Returned to the pharmacy"),
        _l("Your medicine went back to the pharmacy; the payment is refunded."),
    ),
}
for _event, (_title, _body) in ORDER_NOTICES.items():
    register_notice(_event, _title, _body, _order)
