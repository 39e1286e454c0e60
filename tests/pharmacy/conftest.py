"""Pharmacy fixtures: the demo data with the in-process insurer, a stand-in for hospital's
prescription services (same dataclasses, so the contract is the real one) and helpers."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest

from core import clock, crypto
from core.errors import Conflict, NotFound
from core.extensions import db
from core.models import User
from hospital.services.prescriptions import PayableLine, PayablePrescription
from insurance.gateway import get_gateway, in_process_insurer, reset_gateway
from pharmacy import orders
from pharmacy.models import Pharmacy, StockBatch, StockLevel
from tests.conftest import DEMO_PASSWORD

FAST = {"INSURANCE_RETRIES": 2, "INSURANCE_BACKOFF": 0.01, "INSURANCE_BACKOFF_CAP": 0.02, "INSURANCE_TIMEOUT": 2.0}
AML = PayableLine("AML5", "氨氯地平", "amlodipine besylate", "A", 2, 300, 600, False)
MF = PayableLine("MF500", "二甲双胍", "metformin", "A", 1, 1000, 1000, False)
INS = PayableLine("INSGLA", "甘精胰岛素", "insulin glargine", "B", 1, 18000, 18000, True)


class FakePrescriptions:
    """hospital.services.prescriptions' pharmacy contract, over an in-memory set of prescriptions."""

    _ids = itertools.count(9001)

    def __init__(self):
        self.items: dict[int, PayablePrescription] = {}
        self.status: dict[int, str] = {}
        self.calls: list[tuple] = []

    def add(self, patient_id: int, lines=(AML,), hospital_id=None) -> int:
        pid = next(self._ids)
        self.items[pid] = PayablePrescription(
            pid,
            f"RXCODE{pid}",
            patient_id,
            hospital_id or _hub_id(),
            "I10",
            "原发性高血压",
            True,
            clock.now() + timedelta(days=1),
            tuple(lines),
        )
        self.status[pid] = "approved"
        return pid

    def payable_prescription(self, prescription_id: int, patient_id: int) -> PayablePrescription:
        rx = self.items.get(prescription_id)
        if rx is None or rx.patient_id != patient_id:
            raise NotFound("prescription_not_found", "Not found, or not yours to see.")
        if self.status[prescription_id] != "approved":
            raise Conflict("not_payable", "This prescription cannot be paid.")
        return rx

    def mark_paid(self, prescription_id: int, order_ref: str) -> None:
        self.calls.append(("paid", prescription_id, order_ref))
        self.status[prescription_id] = "paid"

    def mark_dispensed(self, prescription_id: int) -> None:
        self.calls.append(("dispensed", prescription_id))
        self.status[prescription_id] = "dispensed"

    def mark_refunded(self, prescription_id: int) -> None:
        self.calls.append(("refunded", prescription_id))
        self.status[prescription_id] = "refunded"


def _hub_id() -> int:
    return db.session.execute(db.select(Pharmacy.hospital_id).filter_by(code="PH001")).scalar_one()


@pytest.fixture
def rx(monkeypatch) -> FakePrescriptions:
    fake = FakePrescriptions()
    monkeypatch.setattr(orders, "rx", lambda: fake)
    return fake


@pytest.fixture
def shop(demo_app, rx):
    """The demo data with the in-process insurer (fast retries), and helpers."""
    demo_app.config.update(FAST)
    reset_gateway(demo_app)
    demo_app.extensions.pop("mock_insurer", None)
    return Shop(demo_app, rx)


ADDRESS = {
    "recipient": "王建国",
    "mobile": "13800000001",
    "province": "福建省",
    "city": "福州市",
    "district": "鼓楼区",
    "detail": "东街134号3号楼502室",
}


class Shop:
    def __init__(self, app, rx: FakePrescriptions):
        self.app, self.rx, self.client = app, rx, app.test_client()
        self._tokens: dict[str, str] = {}

    def login(self, username: str) -> dict:
        if username not in self._tokens:
            response = self.client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()
            self._tokens[username] = response.get_json()["token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def user(self, username: str) -> User:
        return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()

    def enroll(self, username: str = "13800000001", balance_fen: int = 100_000) -> str:
        """Make a demo patient insured at the mock insurer; returns his certno."""
        user = self.user(username)
        certno = crypto.decrypt(user.id_number_enc)
        get_gateway().enroll(
            {
                "certno": certno,
                "psn_name": user.name,
                "insutype": "310",
                "balc": f"{balance_fen / 100:.2f}",
                "chronic": [{"code": "I10", "name": "高血压"}],
                "reset": True,
                "ytd": {"11": {"deductible_used": "800.00"}, "14": {"deductible_used": "200.00"}},
            }
        )
        return certno

    def voucher(self, username: str = "13800000001") -> str:
        return get_gateway().issue_voucher(crypto.decrypt(self.user(username).id_number_enc)).token

    def charges(self, ref: str) -> list:
        return in_process_insurer().settlements_for(ref)

    def pay(self, username: str, prescription_id: int, voucher: str | None = None, key: str | None = None, **extra):
        body = {"prescription_id": prescription_id, "voucher_token": voucher, "address": ADDRESS, **extra}
        headers = {**self.login(username), "Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.post("/api/orders", json=body, headers=headers)

    def level(self, drug_code: str, pharmacy_code: str = "PH001") -> int:
        pharmacy_id = db.session.execute(db.select(Pharmacy.id).filter_by(code=pharmacy_code)).scalar_one()
        db.session.expire_all()
        return db.session.execute(
            db.select(StockLevel.available).filter_by(pharmacy_id=pharmacy_id, drug_code=drug_code)
        ).scalar_one()

    def set_stock(self, drug_code: str, quantity: int, pharmacy_code: str = "PH001") -> None:
        """Exactly `quantity` packages in one batch (tests of scarcity)."""
        pharmacy_id = db.session.execute(db.select(Pharmacy.id).filter_by(code=pharmacy_code)).scalar_one()
        for batch in db.session.execute(
            db.select(StockBatch).filter_by(pharmacy_id=pharmacy_id, drug_code=drug_code)
        ).scalars():
            batch.quantity = 0
        batch = (
            db.session.execute(
                db.select(StockBatch)
                .filter_by(pharmacy_id=pharmacy_id, drug_code=drug_code)
                .order_by(StockBatch.expiry.desc())
            )
            .scalars()
            .first()
        )
        batch.quantity = quantity
        level = db.session.execute(
            db.select(StockLevel).filter_by(pharmacy_id=pharmacy_id, drug_code=drug_code)
        ).scalar_one()
        level.available = quantity
        db.session.commit()
