"""Pharmacy fixtures: the demo data with the in-process insurer, real approved prescriptions
written through hospital's services, and helpers."""

from __future__ import annotations

import uuid

import pytest

from core import crypto
from core.extensions import db
from core.models import User
from hospital.services.prescription_safety import ItemInput
from insurance.gateway import get_gateway, in_process_insurer, reset_gateway
from pharmacy.models import Pharmacy, StockBatch, StockLevel
from tests.conftest import DEMO_PASSWORD

# A generous time limit: slowness is injected where meant, never read from a busy machine's clock.
FAST = {"INSURANCE_RETRIES": 2, "INSURANCE_BACKOFF": 0.01, "INSURANCE_BACKOFF_CAP": 0.02, "INSURANCE_TIMEOUT": 30.0}
# What the doctor writes: amlodipine 5 mg twice a day for 4 weeks (a long prescription for stable
# hypertension) is 280 mg = 2 boxes of 28 x 5 mg; metformin 500 mg bid for a week is 1 box;
# insulin glargine 10 IU a day for a week is 1 pen (cold chain).
AML = ItemInput("AML5", 5, "bid", 28)
AML_ONE_BOX = ItemInput("AML5", 5, "qd", 7)
MF = ItemInput("MF500", 500, "bid", 7)
INS = ItemInput("INSGLA", 10, "qd", 7)
PRICE_FEN = {"AML5": 300, "MF500": 650, "INSGLA": 7200}  # the formulary's package prices
DOCTOR, PHARMACIST = "doc28", "pharm01"  # the cardiologist on call around the clock; a pharmacist


class Prescriptions:
    """Real prescriptions, written, signed and approved through hospital's own services (the
    insurer is the only stand-in in these tests)."""

    def __init__(self):
        self._consultations: dict[int, int] = {}

    def add(self, patient_id: int, lines=(AML,), approve: bool = True) -> int:
        from hospital.services import prescriptions

        doctor = _user(DOCTOR)
        long = any(item.days > 7 for item in lines)
        draft = prescriptions.DraftInput(
            list(lines), long_prescription=long, long_reason="高血压病情稳定，长期处方" if long else "", validity_days=3
        )
        rx = prescriptions.create_draft(doctor, self._consultation_of(patient_id), draft)
        # Several prescriptions of one patient overlap here: the doctor overrides the duplicate-therapy
        # warning that the active medication list raises (issue 11), with a coded reason.
        prescriptions.sign_prescription(doctor, rx.id, "续方替换此前处方的余量，已告知患者", "other")
        if approve:
            prescriptions.review_prescription(_user(PHARMACIST), rx.id, "approve")
        return rx.id

    def status_of(self, prescription_id: int) -> str:
        from hospital.models.prescriptions import Prescription

        db.session.expire_all()
        return db.session.get(Prescription, prescription_id).status

    def _consultation_of(self, patient_id: int) -> int:
        """The patient's open follow-up for hypertension with the cardiologist (opened once)."""
        if patient_id not in self._consultations:
            from hospital.models.network import Department
            from hospital.services import consultations

            department = db.session.execute(db.select(Department).filter_by(code="CARD")).scalars().first()
            consultation = consultations.start_consultation(
                patient_id, department.id, _hypertension(patient_id), "text", "血压平稳，续开降压药"
            )
            consultations.accept(_user(DOCTOR), consultation.id)
            self._consultations[patient_id] = consultation.id
        return self._consultations[patient_id]


def _user(username: str) -> User:
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()


def _hypertension(patient_id: int) -> int:
    """The patient's confirmed in-person hypertension diagnosis (recorded for him if missing)."""
    from datetime import date

    from hospital.models.patients import ConfirmedDiagnosis

    found = db.session.execute(
        db.select(ConfirmedDiagnosis.id).filter_by(patient_id=patient_id, icd10="I10")
    ).scalar_one_or_none()
    if found is None:
        row = ConfirmedDiagnosis(
            patient_id=patient_id,
            hospital_name="省立医院",
            diagnosis="原发性高血压",
            icd10="I10",
            diagnosed_on=date(2022, 6, 15),
            chronic=True,
            stable=True,
        )
        db.session.add(row)
        db.session.commit()
        found = row.id
    return found


def _hub_id() -> int:
    return db.session.execute(db.select(Pharmacy.hospital_id).filter_by(code="PH001")).scalar_one()


@pytest.fixture
def shop(demo_app):
    """The demo data with the in-process insurer (fast retries), and helpers."""
    demo_app.config.update(FAST)
    reset_gateway(demo_app)
    demo_app.extensions.pop("mock_insurer", None)
    return Shop(demo_app, Prescriptions())


ADDRESS = {
    "recipient": "王建国",
    "mobile": "13800000001",
    "province": "福建省",
    "city": "福州市",
    "district": "鼓楼区",
    "detail": "东街134号3号楼502室",
}


class Shop:
    def __init__(self, app, rx: Prescriptions):
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
