"""The pharmacy's figures for a period, from the rows: orders, settlements with the fund's share,
delivery times; and what is waiting now at one pharmacy (for the staff's home)."""

from __future__ import annotations

from collections import Counter

from core.extensions import db
from hospital.services.statistics import Period, minutes, spread
from pharmacy.models import Delivery, DeliveryEvent, DeliveryStatus, Order, OrderStatus

SETTLED = (OrderStatus.PAID, OrderStatus.DISPENSED, OrderStatus.DELIVERED, OrderStatus.REFUNDED)


def orders(p: Period) -> dict:
    """Orders placed in the period by outcome, and the money settled for those paid in it (fen).

    The fund's share is the pooled fund's part of what was settled (refunds reverse it, so
    refunded orders are counted apart and left out of the sums)."""
    placed = list(
        db.session.execute(db.select(Order).where(Order.created_at >= p.start, Order.created_at < p.end)).scalars()
    )
    paid = list(
        db.session.execute(
            db.select(Order).where(Order.paid_at >= p.start, Order.paid_at < p.end, Order.status.in_(SETTLED))
        ).scalars()
    )
    kept = [o for o in paid if o.status != OrderStatus.REFUNDED]
    total = sum(o.total_fen for o in kept)
    fund = sum(o.fund_pay_fen for o in kept)
    return {
        "placed": len(placed),
        "by_status": dict(Counter(o.status for o in placed)),
        "settled": len(kept),
        "refunded": len(paid) - len(kept),
        "total_fen": total,
        "fund_fen": fund,
        "account_fen": sum(o.acct_pay_fen for o in kept),
        "cash_fen": sum(o.cash_pay_fen for o in kept),
        "fund_share": round(fund / total, 4) if total else None,
    }


def delivery_times(p: Period) -> dict:
    """From the parcel's creation (dispensed) to its delivery, for parcels delivered in the period (minutes)."""
    rows = db.session.execute(
        db.select(Delivery.created_at, DeliveryEvent.at)
        .join(DeliveryEvent, DeliveryEvent.delivery_id == Delivery.id)
        .where(DeliveryEvent.status == DeliveryStatus.DELIVERED, DeliveryEvent.at >= p.start, DeliveryEvent.at < p.end)
    ).all()
    failed = db.session.execute(
        db.select(db.func.count()).where(
            DeliveryEvent.status == DeliveryStatus.FAILED, DeliveryEvent.at >= p.start, DeliveryEvent.at < p.end
        )
    ).scalar_one()
    return {**spread([minutes(start, end) for start, end in rows]), "failed": failed}


def pharmacy_backlog(pharmacy_id: int) -> dict:
    """What waits at one pharmacy now: paid orders to dispense and parcels per delivery state."""
    to_dispense = db.session.execute(
        db.select(db.func.count()).where(Order.pharmacy_id == pharmacy_id, Order.status == OrderStatus.PAID)
    ).scalar_one()
    oldest = db.session.execute(
        db.select(db.func.min(Order.paid_at)).where(Order.pharmacy_id == pharmacy_id, Order.status == OrderStatus.PAID)
    ).scalar_one()
    states = dict(
        db.session.execute(
            db.select(Delivery.status, db.func.count())
            .where(Delivery.pharmacy_id == pharmacy_id)
            .group_by(Delivery.status)
        ).all()
    )
    return {"to_dispense": to_dispense, "oldest_paid_at": oldest, "deliveries": states}
