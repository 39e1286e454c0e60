"""Bench data, prepared in-process before the server starts (so its cost is not measured):
insured patients, each with an accepted follow-up consultation and an approved prescription
ready to pay, through the real API (Flask's test client with bearer tokens).

Bench-only shortcuts: every bench patient shares one password hash (scrypt once, not per
patient), the on-call cardiologist's shifts take any number of patients, and the pharmacies hold
plenty of stock; none of this changes what a paid order or a read costs.
"""

from __future__ import annotations

from dataclasses import dataclass

from _common import KEYS, PASSWORD

DOCTOR, PHARMACIST = "doc28", "pharm01"  # cardiology, on call around the clock in the demo rota
DIAGNOSIS = {"hospital_name": "省立医院", "diagnosis": "原发性高血压", "icd10": "I10", "diagnosed_on": "2024-05-01"}
ITEMS = [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}]
ADDRESS = {
    "recipient": "压测",
    "mobile": "13912345678",
    "province": "福建省",
    "city": "福州市",
    "district": "鼓楼区",
    "detail": "东街134号3号楼502室",
}


@dataclass
class Ready:
    """A patient with an approved prescription to pay for."""

    phone: str
    token: str
    consultation_id: int
    prescription_id: int


def prepare(database_url: str, patients: int, serial_base: int = 0, config: dict | None = None) -> list[Ready]:
    """`patients` insured patients, each with an approved prescription (returns them). `config`:
    more app settings (an insurer over HTTP: they are enrolled there)."""
    from app import create_app
    from core import accounts
    from core.extensions import db

    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "DEMO_PASSWORD": PASSWORD, "TESTING": True, **KEYS}
    app = create_app({**settings, **(config or {})})
    with app.app_context():
        _roomy_shifts_and_stock()
        client = app.test_client()
        doctor = _bearer(accounts.get_by_username(DOCTOR))
        pharmacist = _bearer(accounts.get_by_username(PHARMACIST))
        hashed = accounts.hash_password(PASSWORD)
        ready = [_one(client, n + serial_base, hashed, doctor, pharmacist) for n in range(patients)]
        db.session.remove()
        db.engine.dispose()
    return ready


def _roomy_shifts_and_stock() -> None:
    from core.extensions import db
    from hospital.models.rota import Shift
    from pharmacy.models import StockBatch, StockLevel

    db.session.execute(db.update(Shift).values(capacity=1_000_000))
    db.session.execute(db.update(StockLevel).values(available=StockLevel.available + 1_000_000))
    db.session.execute(db.update(StockBatch).values(quantity=StockBatch.quantity + 1_000_000))
    db.session.commit()


def _bearer(user) -> dict:
    from core import sessions

    token = sessions.open_api_session(user).token
    return {"Authorization": f"Bearer {token}"}


def _recorded_diagnosis(patient_id: int) -> dict:
    """The in-person diagnosis as a network hospital's record system writes it (confirmed), so
    that the bench skips the upload-and-review of a patient's claim (not what is measured)."""
    from datetime import date

    from core.extensions import db
    from hospital.models.patients import ConfirmedDiagnosis

    fields = {**DIAGNOSIS, "diagnosed_on": date.fromisoformat(DIAGNOSIS["diagnosed_on"])}
    row = ConfirmedDiagnosis(patient_id=patient_id, **fields)
    db.session.add(row)
    db.session.commit()
    return {"id": row.id}


def _one(client, n: int, hashed: str, doctor: dict, pharmacist: dict) -> Ready:
    from core import accounts, sessions
    from core.extensions import db
    from core.models import Role, User
    from core.resident_id import check_digit
    from insurance import seed as insurance_seed

    first17 = f"35010219{60 + n % 30}0101{n % 1000:03d}"
    id_number, phone = first17 + check_digit(first17), f"137{n:08d}"
    user = User(username=phone, role=Role.PATIENT, name="压测患者", phone=phone, password_hash=hashed)
    accounts._set_identity(user, accounts.parse_resident_id(id_number))
    db.session.add(user)
    db.session.commit()
    insurance_seed.seed_demo([{"name": "压测患者", "id_number": id_number, "phone": phone, "chronic": []}])
    token = sessions.open_api_session(user).token
    patient = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, headers: dict, **body) -> dict:
        response = client.open(path, method=method, headers=headers, json=body or {})
        assert response.status_code < 300, (path, response.get_json())
        return response.get_json()

    diagnosis = _recorded_diagnosis(user.id)
    cardiology = next(
        d["id"] for d in client.get("/api/departments", headers=patient).get_json() if d["code"] == "CARD"
    )
    consultation = call(
        "POST", "/api/consultations", patient, department_id=cardiology, diagnosis_id=diagnosis["id"], complaint="续药"
    )
    call("POST", f"/api/consultations/{consultation['id']}/accept", doctor)
    rx = call("POST", "/api/prescriptions", doctor, consultation_id=consultation["id"], items=ITEMS)
    call("POST", f"/api/prescriptions/{rx['id']}/sign", doctor)
    call("POST", f"/api/prescriptions/{rx['id']}/review", pharmacist, decision="approve")
    return Ready(phone, token, consultation["id"], rx["id"])


def accepted_consultation(patient_id: int, department_id: int, doctor_id: int, diagnosis_id: int):
    """A text consultation the doctor has accepted, written directly (the chat benches measure
    chat, not opening consultations or the shift's capacity); the caller adds and commits it."""
    from datetime import timedelta

    from core import clock
    from hospital.models.consultations import Consultation, ConsultationStatus

    now = clock.now()
    return Consultation(
        patient_id=patient_id,
        department_id=department_id,
        doctor_id=doctor_id,
        diagnosis_id=diagnosis_id,
        mode="text",
        complaint="压测",
        status=ConsultationStatus.ACCEPTED,
        accepted_at=now,
        expires_at=now + timedelta(days=1),
        kept_by_doctor=True,
    )
