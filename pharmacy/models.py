"""Pharmacies, their staff and stock (per batch), orders, dispensing and deliveries."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.idempotency import IdempotencyRecord  # noqa: F401  (its table belongs in the metadata)
from core.types import UTCDateTime


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"  # stock reserved, the insurer is being asked
    PAID = "paid"  # settled; waiting for the pharmacy
    PAYMENT_FAILED = "payment_failed"  # settlement refused: reservation released, nothing charged
    DISPENSED = "dispensed"  # batches picked; a delivery exists
    DELIVERED = "delivered"
    REFUNDED = "refunded"  # returned and reversed at the insurer; stock restored


class DeliveryStatus(enum.StrEnum):
    CREATED = "created"
    PACKED = "packed"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    FAILED = "failed"
    RETURNED = "returned"


class Pharmacy(db.Model):
    __tablename__ = "pharmacies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(160))
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"), index=True)
    city: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    delivery_fee_fen: Mapped[int] = mapped_column(Integer, default=800)
    cold_chain_fee_fen: Mapped[int] = mapped_column(Integer, default=1500)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PharmacyStaff(db.Model):
    """A pharmacist or dispatcher (core user) works for one pharmacy."""

    __tablename__ = "pharmacy_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class StockLevel(db.Model):
    """What may still be promised of a drug: the batches' sum minus the paid, undispensed orders.

    Paying reserves here with one conditional UPDATE (`available >= n`), so concurrent orders
    can never drive it below zero; the CHECK constraint is the last line of defence.
    """

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("pharmacy_id", "drug_code"),
        CheckConstraint("available >= 0", name="ck_stock_available_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"), index=True)
    drug_code: Mapped[str] = mapped_column(String(20), index=True)
    available: Mapped[int] = mapped_column(Integer, default=0)
    low_threshold: Mapped[int] = mapped_column(Integer, default=10)


class StockBatch(db.Model):
    """Packages of one drug from one batch, with its expiry date."""

    __tablename__ = "stock_batches"
    __table_args__ = (
        UniqueConstraint("pharmacy_id", "drug_code", "batch_no"),
        CheckConstraint("quantity >= 0", name="ck_stock_batch_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"), index=True)
    drug_code: Mapped[str] = mapped_column(String(20), index=True)
    batch_no: Mapped[str] = mapped_column(String(40))
    expiry: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class StockMovement(db.Model):
    """Every change of stock: who, why, how much (append-only)."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"), index=True)
    drug_code: Mapped[str] = mapped_column(String(20))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("stock_batches.id"))
    kind: Mapped[str] = mapped_column(String(16))  # adjust / reserve / release / dispense / restock
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))

    actor = relationship("User")


class Courier(db.Model):
    __tablename__ = "couriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20))
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Order(db.Model):
    """A patient's order for one approved prescription, paid once, dispensed by one pharmacy."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # medOrgOrd at the insurer
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"), index=True)
    prescription_id: Mapped[int] = mapped_column(index=True)
    prescription_code: Mapped[str] = mapped_column(String(40), default="")
    # Set while the order is live, cleared when it fails or is refunded: at most one live order
    # per prescription, enforced by the unique constraint.
    live_prescription_id: Mapped[int | None] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PENDING_PAYMENT, index=True)
    pay_method: Mapped[str] = mapped_column(String(10))  # voucher / self
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    diagnosis: Mapped[str] = mapped_column(String(200), default="")
    recipient: Mapped[str] = mapped_column(String(64))
    mobile: Mapped[str] = mapped_column(String(11))
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(20))
    address_detail: Mapped[str] = mapped_column(String(200))
    drug_total_fen: Mapped[int] = mapped_column(Integer, default=0)
    delivery_fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    fund_pay_fen: Mapped[int] = mapped_column(Integer, default=0)
    acct_pay_fen: Mapped[int] = mapped_column(Integer, default=0)
    cash_pay_fen: Mapped[int] = mapped_column(Integer, default=0)
    setl_id: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispensed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispensed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "确认收货" by the patient

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.id", cascade="all, delete-orphan")
    pharmacy: Mapped[Pharmacy] = relationship()
    delivery: Mapped[Delivery | None] = relationship(back_populates="order", uselist=False)


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    drug_code: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(160))
    insurance_class: Mapped[str] = mapped_column(String(2))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    # The batches it was dispensed from: [{"batch_id", "batch_no", "expiry", "quantity"}].
    batches: Mapped[list | None] = mapped_column(JSON)


class Delivery(db.Model):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.CREATED, index=True)
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id"))
    received_by: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    order: Mapped[Order] = relationship(back_populates="delivery")
    courier: Mapped[Courier | None] = relationship()
    events: Mapped[list[DeliveryEvent]] = relationship(order_by="DeliveryEvent.id", cascade="all, delete-orphan")


class DeliveryEvent(db.Model):
    """One step of a delivery, with its time and who moved it (the timeline)."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(200), default="")


class SavedAddress(db.Model):
    """A delivery address in a patient's address book, entered once and chosen with one tap.

    Orders copy the address they were sent to, so changing or removing one here changes no order.
    """

    __tablename__ = "saved_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    mobile: Mapped[str] = mapped_column(String(11))
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
