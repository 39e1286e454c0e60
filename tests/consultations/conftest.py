"""Helpers for consultation tests: demo logins, a frozen clock inside a doctor's shift, requests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.extensions import db
from hospital.models.network import Doctor
from hospital.models.patients import ConfirmedDiagnosis
from hospital.models.rota import Shift
from tests.conftest import DEMO_PASSWORD

PATIENT = "13800000001"  # hypertension (I10) and diabetes: cardiology / endocrinology
OTHER_PATIENT = "13800000003"
CHILD = "13800000005"


def doctor_by_username(username: str) -> Doctor:
    from core import accounts

    return db.session.execute(db.select(Doctor).filter_by(user_id=accounts.get_by_username(username).id)).scalar_one()


def next_shift(username: str) -> Shift:
    """The doctor's first shift starting at least an hour from now."""
    doctor = doctor_by_username(username)
    query = (
        db.select(Shift)
        .where(Shift.doctor_id == doctor.id, Shift.starts_at > clock.now() + timedelta(hours=1))
        .order_by(Shift.starts_at)
    )
    return db.session.execute(query).scalars().first()


def diagnosis_of(username: str, icd10: str | None = None) -> ConfirmedDiagnosis:
    from core import accounts

    query = db.select(ConfirmedDiagnosis).filter_by(patient_id=accounts.get_by_username(username).id)
    if icd10:
        query = query.filter_by(icd10=icd10)
    return db.session.execute(query).scalars().first()


class Hospital:
    """Demo logins by username (tokens issued inside the frozen clock), and JSON calls."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def headers(self, username: str) -> dict:
        if username not in self.tokens:
            response = self.client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()
            self.tokens[username] = response.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def call(self, username: str, method: str, path: str, json=None, **kwargs):
        return self.client.open(path, method=method, json=json, headers=self.headers(username), **kwargs)

    def start(self, username=PATIENT, department_code="CARD", icd10=None, **extra):
        """Start a consultation in a department of the provincial hospital; returns the response."""
        from hospital.models.network import Department

        department = db.session.execute(db.select(Department).filter_by(code=department_code)).scalars().first()
        body = {
            "department_id": department.id,
            "diagnosis_id": diagnosis_of(username, icd10).id,
            "complaint": "血压控制可，来续药",
            "mode": "text",
            **extra,
        }
        return self.call(username, "POST", "/api/consultations", body)


@pytest.fixture
def hosp(demo_client):
    return Hospital(demo_client)


@pytest.fixture
def in_shift(demo_app):
    """Freeze the clock 30 minutes into doc03's (cardiology) next shift; doc28 is on call then too."""
    shift = next_shift("doc03")
    with clock.frozen(shift.starts_at + timedelta(minutes=30)):
        yield shift
