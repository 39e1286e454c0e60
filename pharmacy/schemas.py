"""Pharmacy API schemas: orders, quotes, deliveries, stock."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from pharmacy import orders
from pharmacy.delivery import ACTIONS, TRANSITIONS, DeliveryStatus


class PharmacySchema(Schema):
    id = BoundedInt()
    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    hospital_id = BoundedInt(allow_none=True)
    city = fields.Str()
    address = fields.Str()
    phone = fields.Str()
    delivery_fee_fen = BoundedInt()
    cold_chain_fee_fen = BoundedInt()


class AddressSchema(Schema):
    recipient = fields.Str(required=True, metadata={"description": "Who receives the parcel"})
    mobile = fields.Str(required=True, metadata={"description": "11-digit mainland mobile number"})
    province = fields.Str(required=True)
    city = fields.Str(required=True)
    district = fields.Str(required=True)
    detail = fields.Str(required=True, metadata={"description": "Street, building, room"})


class QuoteRequestSchema(Schema):
    prescription_id = BoundedInt(required=True)
    voucher_token = fields.Str(
        load_default=None, allow_none=True, metadata={"description": "The e-voucher QR token; empty for self-pay"}
    )
    pharmacy_id = BoundedInt(load_default=None, allow_none=True)


class OrderCreateSchema(QuoteRequestSchema):
    address = fields.Nested(AddressSchema, load_default=None, metadata={"description": "Where to deliver"})
    address_id = fields.Int(
        load_default=None, allow_none=True, metadata={"description": "Or one of my saved addresses (/api/addresses)"}
    )


class LineSchema(Schema):
    drug_code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    insurance_class = fields.Str()
    quantity = BoundedInt()
    unit_price_fen = BoundedInt()
    total_fen = BoundedInt()
    cold_chain = fields.Bool()


class OrderLineSchema(LineSchema):
    batches = fields.List(fields.Dict(), allow_none=True, metadata={"description": "Dispensed batches (FEFO)"})


class QuoteSchema(Schema):
    prescription_id = BoundedInt()
    prescription_code = fields.Str()
    pharmacy = fields.Nested(PharmacySchema)
    lines = fields.List(fields.Nested(LineSchema))
    cold_chain = fields.Bool()
    drug_total_fen = BoundedInt()
    delivery_fee_fen = BoundedInt()
    total_fen = BoundedInt()
    fund_pay_fen = BoundedInt(metadata={"description": "fund_pay_sumamt: paid by the pooled fund"})
    acct_pay_fen = BoundedInt(metadata={"description": "acct_pay: paid from the personal account"})
    cash_pay_fen = BoundedInt(metadata={"description": "psn_cash_pay: paid in cash (self-pay)"})
    insured = fields.Bool()


class CourierSchema(Schema):
    id = BoundedInt()
    name = fields.Str()
    phone = fields.Str()
    cold_chain = fields.Bool()


class DeliveryEventSchema(Schema):
    status = fields.Str()
    at = LocalDateTime()
    note = fields.Str()


class TimelineStepSchema(Schema):
    status = fields.Str()
    at = LocalDateTime()
    note = fields.Str()


_TIMELINE = TimelineStepSchema(many=True)  # built once: building a schema costs more than a dump


class DeliverySummarySchema(Schema):
    id = BoundedInt()
    order_id = BoundedInt()
    pharmacy_id = BoundedInt()
    status = fields.Str()
    cold_chain = fields.Bool()
    courier = fields.Nested(CourierSchema, allow_none=True)
    received_by = fields.Str(allow_none=True)
    failure_reason = fields.Str(allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()
    order_ref = fields.Str(attribute="order.ref")
    recipient = fields.Str(attribute="order.recipient")
    mobile = fields.Str(attribute="order.mobile")
    address = fields.Method("_address")
    next_actions = fields.Method("_next")

    def _address(self, delivery) -> str:
        o = delivery.order
        return f"{o.province}{o.city}{o.district}{o.address_detail}"

    def _next(self, delivery) -> list[str]:
        allowed = TRANSITIONS[DeliveryStatus(delivery.status)]
        return [action for action, status in ACTIONS.items() if status in allowed]


class DeliverySchema(DeliverySummarySchema):
    events = fields.List(fields.Nested(DeliveryEventSchema))


class OrderSchema(Schema):
    id = BoundedInt()
    ref = fields.Str()
    patient_id = BoundedInt()
    pharmacy = fields.Nested(PharmacySchema)
    prescription_id = BoundedInt()
    prescription_code = fields.Str()
    status = fields.Str()
    pay_method = fields.Str()
    cold_chain = fields.Bool()
    diagnosis = fields.Str()
    address = fields.Method("_address")
    lines = fields.List(fields.Nested(OrderLineSchema))
    drug_total_fen = BoundedInt()
    delivery_fee_fen = BoundedInt()
    total_fen = BoundedInt()
    fund_pay_fen = BoundedInt()
    acct_pay_fen = BoundedInt()
    cash_pay_fen = BoundedInt()
    setl_id = fields.Str(allow_none=True)
    failure_reason = fields.Str(allow_none=True)
    created_at = LocalDateTime()
    paid_at = LocalDateTime(allow_none=True)
    dispensed_at = LocalDateTime(allow_none=True)
    refunded_at = LocalDateTime(allow_none=True)
    delivery = fields.Nested(DeliverySummarySchema, allow_none=True)
    timeline = fields.Method("_timeline")

    def _address(self, order) -> dict:
        return {
            "recipient": order.recipient,
            "mobile": order.mobile,
            "province": order.province,
            "city": order.city,
            "district": order.district,
            "detail": order.address_detail,
        }

    def _timeline(self, order) -> list:
        return _TIMELINE.dump(orders.timeline(order))


class OrderQuerySchema(Schema):
    status = fields.Str(load_default=None, metadata={"description": "Comma-separated statuses"})


class DeliveryActionSchema(Schema):
    received_by = fields.Str(load_default=None, metadata={"description": "Who received it (deliver)"})
    reason = fields.Str(load_default=None, metadata={"description": "Why it failed (fail), or a note"})


class AssignCourierSchema(Schema):
    courier_id = BoundedInt(required=True)


class BatchSchema(Schema):
    id = BoundedInt()
    batch_no = fields.Str()
    expiry = fields.Date()
    quantity = BoundedInt()
    near_expiry = fields.Bool()
    expired = fields.Bool()


class StockRowSchema(Schema):
    drug_code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    available = BoundedInt(metadata={"description": "Not yet promised to paid orders"})
    on_hand = BoundedInt()
    low_threshold = BoundedInt()
    low = fields.Bool()
    near_expiry = fields.Bool()
    expired = fields.Bool()
    batches = fields.List(fields.Nested(BatchSchema))


class StockQuerySchema(Schema):
    flagged = fields.Bool(load_default=False)
    q = fields.Str(load_default=None)


class StockAdjustSchema(Schema):
    drug_code = fields.Str(required=True)
    batch_no = fields.Str(required=True)
    delta = BoundedInt(
        required=True,
        validate=validate.Range(-100000, 100000),
        metadata={"description": "Packages added (+) or removed (-)"},
    )
    reason = fields.Str(required=True)
    expiry = fields.Str(load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD, for a new batch"})


class MovementSchema(Schema):
    id = BoundedInt()
    at = LocalDateTime()
    drug_code = fields.Str()
    batch_id = BoundedInt(allow_none=True)
    kind = fields.Str()
    delta = BoundedInt()
    reason = fields.Str()
    actor_id = BoundedInt(allow_none=True)
    order_id = BoundedInt(allow_none=True)


class BoardQuerySchema(Schema):
    courier_id = BoundedInt(load_default=None, metadata={"description": "Only this courier's parcels"})
    cold_chain = fields.Bool(load_default=None, metadata={"description": "Only cold-chain (true) or ambient (false)"})
    q = fields.Str(load_default=None, metadata={"description": "Order reference, recipient or mobile"})


class BulkAssignSchema(Schema):
    delivery_ids = fields.List(BoundedInt(), required=True, validate=validate.Length(min=1, max=100))
    courier_id = BoundedInt(required=True)
