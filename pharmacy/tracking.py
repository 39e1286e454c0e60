"""Following a delivery from the patient's side: every step with the ones still to come, an
estimated arrival, the courier to call, and a short order number a person can read out.

The estimate is the pharmacy's usual pace from the latest step reached (same-city delivery):
a parcel waiting to be packed or picked up arrives within a day of dispensing, one picked up
within 4 hours of the pick-up, one on its way within 2 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pharmacy.models import DeliveryStatus, Order, OrderStatus

D = DeliveryStatus
# The road of an order that goes well, in order; each step is named in the page's labels.
ROAD = (
    "created",
    "paid",
    "dispensed",
    "delivery_packed",
    "delivery_picked_up",
    "delivery_in_transit",
    "delivery_delivered",
)
PACE = {D.PICKED_UP: timedelta(hours=4), D.IN_TRANSIT: timedelta(hours=2)}
WITHIN_A_DAY = timedelta(hours=24)
SHORT_LENGTH = 8


@dataclass(frozen=True)
class Step:
    status: str
    at: datetime | None
    note: str
    done: bool


def short_number(order: Order) -> str:
    """The last 8 characters of the order reference: random, so distinct in practice, and short
    enough to read out on the phone (staff pages keep the whole reference)."""
    return order.ref[-SHORT_LENGTH:]


def _done_steps(order: Order) -> dict[str, tuple[datetime | None, str]]:
    done = {"created": (order.created_at, "")}
    if order.paid_at:
        done["paid"] = (order.paid_at, "")
    if order.dispensed_at:
        done["dispensed"] = (order.dispensed_at, "")
    for event in order.delivery.events if order.delivery else ():
        done[f"delivery_{event.status}"] = (event.at, event.note)
    return done


def steps(order: Order) -> list[Step]:
    """The road's steps, done (with their time) or still to come; a failure or refund ends it."""
    done = _done_steps(order)
    off_road = [
        Step(status, at, note, True)
        for status, (at, note) in done.items()
        if status not in ROAD and status != "delivery_created"
    ]
    if order.status == OrderStatus.PAYMENT_FAILED:
        off_road.append(Step("payment_failed", order.created_at, order.failure_reason or "", True))
    if order.refunded_at:
        off_road.append(Step("refunded", order.refunded_at, "", True))
    road = [Step(s, *done.get(s, (None, "")), s in done) for s in ROAD]
    if off_road:  # the road stops where it went wrong: what was done, then what happened
        return [step for step in road if step.done] + off_road
    return road


def estimated_arrival(order: Order) -> datetime | None:
    """When the parcel should arrive, while it is on its way (None before dispensing or after)."""
    delivery = order.delivery
    if delivery is None or delivery.status not in (D.CREATED, D.PACKED, D.PICKED_UP, D.IN_TRANSIT):
        return None
    if delivery.status in PACE:
        return delivery.updated_at + PACE[D(delivery.status)]
    return (order.dispensed_at or delivery.created_at) + WITHIN_A_DAY


def may_confirm_receipt(order: Order) -> bool:
    """The patient may say he has it once it is on its way, and until he has said so."""
    delivery = order.delivery
    if delivery is None or order.receipt_confirmed_at is not None:
        return False
    return delivery.status in RECEIVABLE


RECEIVABLE = (D.IN_TRANSIT, D.DELIVERED)
