"""Pharmacy API: quotes and orders (paid with an Idempotency-Key), dispensing, deliveries, stock."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from core import idempotency
from core.auth import require_user
from core.errors import error_body
from core.idempotency import HEADER_DOC, idempotent
from core.models import Role
from pharmacy import delivery, dispensing, orders, staff, stock
from pharmacy.schemas import (
    AssignCourierSchema,
    BoardQuerySchema,
    BulkAssignSchema,
    CourierSchema,
    DeliveryActionSchema,
    DeliverySchema,
    MovementSchema,
    OrderCreateSchema,
    OrderQuerySchema,
    OrderSchema,
    PharmacySchema,
    QuoteRequestSchema,
    QuoteSchema,
    StockAdjustSchema,
    StockQuerySchema,
    StockRowSchema,
)

blp = Blueprint("pharmacy", __name__, url_prefix="/api", description="Orders, stock, dispensing and delivery")
STAFF = (Role.PHARMACIST, Role.DISPATCHER)
ORDER = OrderSchema()  # made once: making a schema copies its fields, costing more than a dump


@blp.get("/pharmacies")
@blp.response(200, PharmacySchema(many=True))
def list_pharmacies():
    """The pharmacies that dispense and deliver."""
    require_user()
    return staff.list_pharmacies()


@blp.post("/orders/quote")
@blp.arguments(QuoteRequestSchema)
@blp.response(200, QuoteSchema)
def quote(data):
    """What paying for a prescription would cost: lines, delivery fee, the insurer's split."""
    return orders.quote(require_user(Role.PATIENT), **data)


@blp.post("/orders")
@blp.doc(parameters=[HEADER_DOC])
@idempotent
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
def create_order(data):
    """Pay for an approved prescription: settle with the voucher (or self-pay) and reserve stock.

    Out of stock is a 409 with reason `out_of_stock`, and nothing is charged. Send an
    `Idempotency-Key`: a retry with the same key returns the same order.
    """
    user = require_user(Role.PATIENT)
    order = orders.place_order(user, **data, idempotency_id=idempotency.current_id(), answer_paid=_answer_paid)
    return idempotency.committed_answer() or order


def _answer_paid(order) -> None:
    """The paid order's answer, stored for replays in the transaction that commits the payment."""
    idempotency.store_answer(201, ORDER.dump(order))


def _order_outcome(order_id: int, user_id: int) -> tuple[int, dict] | None:
    """The answer a key bound to this order gets once the order's payment is decided (a retry
    after the first request died): the order, or why its payment failed; None while pending."""
    order = orders.order_outcome(order_id, user_id)
    if order is None:
        return None
    if order.status == orders.OrderStatus.PAYMENT_FAILED:
        message = str(_l("The payment did not go through; nothing was charged. Please pay again."))
        return 409, error_body(409, message, "payment_failed")
    return 201, ORDER.dump(order)


idempotency.register_resolver("order", _order_outcome)


@blp.get("/orders")
@blp.arguments(OrderQuerySchema(), location="query")
@blp.response(200, OrderSchema(many=True))
def list_orders(query):
    """A patient's own orders; pharmacy staff see their pharmacy's."""
    return orders.list_orders(require_user(), **query)


@blp.get("/orders/<int:order_id>")
@blp.response(200, OrderSchema)
def get_order(order_id):
    """One order with its lines, split, delivery and timeline."""
    return orders.get_order(require_user(), order_id)


@blp.post("/orders/<int:order_id>/dispense")
@blp.response(200, OrderSchema)
def dispense(order_id):
    """A pharmacist dispenses a paid order (batches first-expiry-first-out) and opens its delivery."""
    return dispensing.dispense(require_user(Role.PHARMACIST), order_id)


@blp.get("/deliveries")
@blp.arguments(OrderQuerySchema, location="query")
@blp.response(200, DeliverySchema(many=True))
def list_deliveries(query):
    """The dispatcher's board: his pharmacy's deliveries."""
    return delivery.list_deliveries(require_user(*STAFF), **query)


@blp.get("/deliveries/board")
@blp.arguments(BoardQuerySchema, location="query")
@blp.response(200, DeliverySchema(many=True))
def delivery_board(query):
    """The dispatcher's board: every delivery of his pharmacy with its order's reference and address."""
    return delivery.board(require_user(*STAFF), **query)


@blp.post("/deliveries/courier")
@blp.arguments(BulkAssignSchema)
@blp.response(200, DeliverySchema(many=True))
def assign_courier_to_many(data):
    """Give several parcels to one courier at once; all of them or none (a 422 names the field)."""
    return delivery.assign_courier_to_many(require_user(*STAFF), data["delivery_ids"], data["courier_id"])


@blp.get("/deliveries/<int:delivery_id>")
@blp.response(200, DeliverySchema)
def get_delivery(delivery_id):
    """One delivery with its timed steps (the patient's own, or his pharmacy's for staff)."""
    return delivery.get_delivery(require_user(), delivery_id)


@blp.post("/deliveries/<int:delivery_id>/courier")
@blp.arguments(AssignCourierSchema)
@blp.response(200, DeliverySchema)
def assign_courier(data, delivery_id):
    """Assign a courier (a cold-chain courier for cold-chain parcels)."""
    return delivery.assign_courier(require_user(*STAFF), delivery_id, data["courier_id"])


@blp.post("/deliveries/<int:delivery_id>/<any(pack, 'pick-up', 'in-transit', deliver, fail, return):action>")
@blp.arguments(DeliveryActionSchema)
@blp.response(200, DeliverySchema)
def advance_delivery(data, delivery_id, action):
    """Move the delivery one step: pack, pick-up, in-transit, deliver (received_by), fail (reason), return."""
    return delivery.advance(require_user(*STAFF), delivery_id, action, **data)


@blp.get("/couriers")
@blp.response(200, CourierSchema(many=True))
def list_couriers():
    """The couriers of the staff member's pharmacy."""
    return staff.list_couriers(staff.require_pharmacy(require_user(*STAFF)))


@blp.get("/pharmacy/stock")
@blp.arguments(StockQuerySchema, location="query")
@blp.response(200, StockRowSchema(many=True))
def list_stock(query):
    """The staff member's pharmacy stock, with low / near-expiry / expired flags."""
    return stock.stock_for(require_user(*STAFF), query["flagged"], query["q"])


@blp.post("/pharmacy/stock/adjust")
@blp.arguments(StockAdjustSchema)
@blp.response(200, StockRowSchema)
def adjust_stock(data):
    """Change a batch's count with a reason (every change is logged with who and why)."""
    user = require_user(Role.PHARMACIST)
    batch = stock.adjust(user, **data)
    return next(r for r in stock.pharmacy_stock(batch.pharmacy_id) if r.drug_code == batch.drug_code)


@blp.get("/pharmacy/stock/movements")
@blp.response(200, MovementSchema(many=True))
def list_movements():
    """The stock log: who changed what, when and why."""
    return stock.movements(require_user(*STAFF))
