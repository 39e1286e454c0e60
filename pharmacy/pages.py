"""Pharmacy pages: the patient's orders (list, pay, detail with live timeline), the pharmacy
desk (orders to dispense, stock with flags, adjustments) and the dispatcher's deliveries board."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import current_user, page_roles
from core.errors import AppError
from core.models import Role
from pharmacy import checkout, delivery, dispensing, orders, staff, statistics, stock, tracking

bp = Blueprint("pharmacy_pages", __name__)

nav.add_nav(Role.PATIENT, _l("My orders"), "/orders", order=30)
nav.add_nav(Role.PHARMACIST, _l("Pharmacy"), "/pharmacy", order=30)
nav.add_nav(Role.PHARMACIST, _l("Deliveries"), "/dispatch", order=35)
nav.add_nav(Role.DISPATCHER, _l("Deliveries"), "/dispatch", order=30)


def _home_orders(user) -> dict:
    return {"orders": orders.list_orders(user, limit=3)}


nav.add_home_section(Role.PATIENT, "pharmacy/_home_orders.html", _home_orders, order=20)


def _home_backlog(user) -> dict:
    """What waits at the staff member's pharmacy now (nothing when he belongs to none)."""
    pharmacy_id = staff.pharmacy_id_of(user)
    return {"backlog": statistics.pharmacy_backlog(pharmacy_id) if pharmacy_id else None}


nav.add_home_section(Role.PHARMACIST, "pharmacy/_home_desk.html", _home_backlog, order=20)
nav.add_home_section(Role.DISPATCHER, "pharmacy/_home_dispatch.html", _home_backlog, order=10)

STEP_LABELS = {
    "created": _l("Order placed"),
    "paid": _l("Paid"),
    "payment_failed": _l("Payment failed"),
    "dispensed": _l("Dispensed by the pharmacy"),
    "delivery_created": _l("Waiting for packing"),
    "delivery_packed": _l("Packed"),
    "delivery_picked_up": _l("Picked up by the courier"),
    "delivery_in_transit": _l("On the way"),
    "delivery_delivered": _l("Delivered"),
    "delivery_failed": _l("Delivery failed"),
    "delivery_returned": _l("Returned to the pharmacy"),
    "refunded": _l("Refunded"),
}
STATUS_LABELS = {
    "pending_payment": _l("Paying"),
    "paid": _l("Paid, waiting for the pharmacy"),
    "payment_failed": _l("Not paid"),
    "dispensed": _l("Dispensed, on its way"),
    "delivered": _l("Delivered"),
    "refunded": _l("Refunded"),
    "created": _l("Waiting for packing"),
    "packed": _l("Packed"),
    "picked_up": _l("Picked up"),
    "in_transit": _l("On the way"),
    "failed": _l("Delivery failed"),
    "returned": _l("Returned"),
}
ACTION_LABELS = {
    "pack": _l("Mark packed"),
    "pick-up": _l("Picked up by courier"),
    "in-transit": _l("In transit"),
    "deliver": _l("Delivered"),
    "fail": _l("Delivery failed"),
    "return": _l("Returned to pharmacy (refund)"),
}


MOVEMENT_LABELS = {
    "adjust": _l("Adjustment"),
    "reserve": _l("Reserved for an order"),
    "release": _l("Reservation released"),
    "dispense": _l("Dispensed"),
    "restock": _l("Returned to stock"),
}


@bp.app_context_processor
def labels() -> dict:
    return {
        "step_labels": STEP_LABELS,
        "status_labels": STATUS_LABELS,
        "action_labels": ACTION_LABELS,
        "movement_labels": MOVEMENT_LABELS,
    }


@bp.get("/orders")
@page_roles(Role.PATIENT, Role.PHARMACIST, Role.DISPATCHER, Role.ADMIN)
def order_list():
    """The patient's orders and the prescriptions he can pay now (staff: their pharmacy's orders)."""
    user = current_user()
    awaiting = checkout.awaiting_payment(user) if user.role == Role.PATIENT else []
    return render_template("pharmacy/orders.html", orders=orders.list_orders(user), awaiting=awaiting)


@bp.get("/orders/new")
@page_roles(Role.PATIENT)
def order_new():
    """The pay page for an approved prescription: address (one tap), e-voucher, split, pay."""
    args, view, error = request.args, None, None
    try:
        view = checkout.checkout(
            current_user(),
            args.get("prescription", type=int) or 0,
            args.get("address", type=int),
            args.get("ec_token") or None,
            self_pay=args.get("pay") == "self",
        )
    except AppError as err:
        error = err
    return render_template(
        "pharmacy/order_new.html",
        c=view,
        error=error,
        cancelled=args.get("insurer_error") == "cancelled",
        self_pay=args.get("pay") == "self",
        user=current_user(),
    ), (error.status if error else 200)


@bp.get("/orders/<int:order_id>")
@page_roles(Role.PATIENT, Role.PHARMACIST, Role.DISPATCHER, Role.ADMIN)
def order_detail(order_id: int):
    """One order with its timeline (steps to come greyed), estimated arrival, courier; live."""
    order = orders.get_order(current_user(), order_id)
    return render_template(
        "pharmacy/order_detail.html",
        order=order,
        steps=tracking.steps(order),
        eta=tracking.estimated_arrival(order),
        short_number=tracking.short_number(order),
        may_confirm=tracking.may_confirm_receipt(order),
    )


@bp.route("/pharmacy", methods=["GET", "POST"])
@page_roles(Role.PHARMACIST)
def desk():
    """The pharmacy desk: paid orders to dispense, stock with flags, adjustments."""
    user, error, done = current_user(), None, request.args.get("done")
    if request.method == "POST":
        try:
            done = _desk_action(user, request.form)
        except AppError as err:
            error = err
        else:
            return redirect(url_for("pharmacy_pages.desk", done=done))
    pharmacy_id = staff.require_pharmacy(user)
    query, show_all = request.args.get("q"), request.args.get("all") == "1"
    return render_template(
        "pharmacy/desk.html",
        pharmacy=staff.get_pharmacy(pharmacy_id),
        error=error,
        done=done,
        form=request.form,
        to_dispense=orders.list_orders(user, status="paid"),
        # Flagged drugs first and alone, unless he searches or asks for the whole shelf.
        stock=stock.stock_for(user, flagged_only=not (query or show_all), q=query),
        show_all=show_all,
        recent=orders.list_orders(user, status="dispensed,delivered,refunded", limit=20),
        movements=stock.movements(user, limit=20),
    ), (422 if error else 200)


def _desk_action(user, form) -> str:
    if form.get("action") == "dispense":
        dispensing.dispense(user, int(form.get("order_id", 0)))
        return "dispensed"
    stock.adjust(
        user,
        form.get("drug_code", ""),
        form.get("batch_no", ""),
        _int(form.get("delta")),
        form.get("reason", ""),
        form.get("expiry") or None,
    )
    return "adjusted"


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@bp.get("/pharmacy/orders/<int:order_id>/label")
@page_roles(Role.PHARMACIST, Role.DISPATCHER)
def order_label(order_id: int):
    """The parcel label: recipient, items and batches, and the cold-chain flag."""
    return render_template("pharmacy/label.html", **dispensing.label(current_user(), order_id))


BOARD_COLUMNS = ("created", "packed", "picked_up", "in_transit", "failed", "delivered", "returned")
FINISHED_SHOWN = 20  # delivered and returned parcels: the latest few, the rest stay in the orders list
FAIL_REASONS = (
    _l("Nobody at home"),
    _l("Wrong or incomplete address"),
    _l("Refused by the recipient"),
    _l("Parcel damaged"),
    _l("Cold chain broken"),
)


def _board_filters(args) -> dict:
    cold = args.get("cold_chain")
    return {
        "courier_id": _int(args.get("courier_id")) or None,
        "cold_chain": {"1": True, "0": False}.get(cold),
        "q": (args.get("q") or "").strip() or None,
    }


def _board_context(user, filters: dict) -> dict:
    """The board's columns, one per delivery state, from the service's filtered list."""
    columns: dict[str, list] = {status: [] for status in BOARD_COLUMNS}
    for d in delivery.board(user, **filters):
        columns[d.status].append(d)
    for status in ("delivered", "returned"):
        columns[status] = columns[status][:FINISHED_SHOWN]
    pharmacy_id = staff.require_pharmacy(user)
    return {
        "columns": columns,
        "couriers": staff.list_couriers(pharmacy_id),
        "filters": filters,
        "fail_reasons": FAIL_REASONS,
    }


@bp.route("/dispatch", methods=["GET", "POST"])
@page_roles(Role.DISPATCHER, Role.PHARMACIST)
def dispatch():
    """The deliveries board: a column per state, filters, couriers for several parcels at once.

    The page script makes every move through the API and refreshes the board in place; the
    forms post here when scripts are off."""
    user, error, done = current_user(), None, request.args.get("done")
    if request.method == "POST":
        try:
            done = _dispatch_action(user, request.form)
        except AppError as err:
            error = err
        else:
            return redirect(url_for("pharmacy_pages.dispatch", done=done))
    pharmacy_id = staff.require_pharmacy(user)
    return render_template(
        "pharmacy/dispatch.html",
        pharmacy=staff.get_pharmacy(pharmacy_id),
        error=error,
        done=done,
        **_board_context(user, _board_filters(request.args)),
    ), (422 if error else 200)


@bp.get("/dispatch/board")
@page_roles(Role.DISPATCHER, Role.PHARMACIST)
def dispatch_board():
    """The board alone, for the page script to refresh it in place."""
    return render_template(
        "pharmacy/_dispatch_board.html", **_board_context(current_user(), _board_filters(request.args))
    )


def _dispatch_action(user, form) -> str:
    if form.get("action") == "bulk-courier":
        ids = [_int(i) for i in form.getlist("delivery_ids")]
        delivery.assign_courier_to_many(user, ids, _int(form.get("courier_id")))
        return "assigned"
    delivery_id = _int(form.get("delivery_id"))
    if form.get("action") == "courier":
        delivery.assign_courier(user, delivery_id, _int(form.get("courier_id")))
        return "assigned"
    reason = " ".join(part for part in (form.get("reason_preset"), form.get("reason")) if part and part.strip())
    delivery.advance(user, delivery_id, form.get("action", ""), form.get("received_by"), reason)
    return "moved"
