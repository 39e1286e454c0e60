"""Chronic-care fixtures: the demo data, logged-in clients by username, and real consultations and
prescriptions made through hospital's own services."""

from __future__ import annotations

from datetime import date

import pytest

from core.extensions import db
from core.models import User
from hospital.models.network import Department
from hospital.models.patients import ConfirmedDiagnosis
from hospital.services import consultations, prescriptions
from tests.conftest import DEMO_PASSWORD

PATIENT, OTHER_PATIENT = "13800000001", "13800000002"  # 王建国 (hypertension, diabetes), 李秀兰 (COPD)
CARDIOLOGIST = "doc28"  # cardiology, on call around the clock
OTHER_DOCTOR = "doc01"  # respiratory: not this patient's department


def user(username: str) -> User:
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()


class Care:
    """Bearer headers by username, and hospital objects made through hospital's services."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()
        self._tokens: dict[str, dict] = {}

    def h(self, username: str) -> dict:
        if username not in self._tokens:
            response = self.client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()
            self._tokens[username] = {"Authorization": f"Bearer {response.get_json()['token']}"}
        return self._tokens[username]

    def relogin(self) -> None:
        """New tokens (after the frozen clock moved past their lifetime)."""
        self._tokens.clear()

    def post(self, path: str, username: str, **kwargs):
        return self.client.post(path, headers=self.h(username), **kwargs)

    def get(self, path: str, username: str, **kwargs):
        return self.client.get(path, headers=self.h(username), **kwargs)

    def put(self, path: str, username: str, **kwargs):
        return self.client.put(path, headers=self.h(username), **kwargs)

    def department(self, code: str) -> Department:
        return db.session.execute(db.select(Department).filter_by(code=code)).scalars().first()

    def hypertension(self, patient_id: int) -> int:
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

    def accepted_consultation(self, patient_username: str = PATIENT, doctor: str = CARDIOLOGIST) -> int:
        """A follow-up consultation for hypertension, accepted by the cardiologist."""
        patient = user(patient_username)
        consultation = consultations.start_consultation(
            patient.id, self.department("CARD").id, self.hypertension(patient.id), "text", "血压随访"
        )
        consultations.accept(user(doctor), consultation.id)
        return consultation.id

    def referred_consultation(self, patient_username: str = PATIENT) -> int:
        consultation_id = self.accepted_consultation(patient_username)
        response = self.post(
            f"/api/consultations/{consultation_id}/refer-offline",
            CARDIOLOGIST,
            json={"reason": "血压控制不佳，需门诊调整"},
        )
        assert response.status_code == 200, response.get_json()
        return consultation_id

    def prescription(self, patient_username: str, lines, days_long: bool = False) -> int:
        """A signed and approved prescription written in a new accepted consultation."""
        doctor = user(CARDIOLOGIST)
        long = any(item.days > 7 for item in lines)
        draft = prescriptions.DraftInput(
            list(lines), long_prescription=long, long_reason="高血压病情稳定，长期处方" if long else "", validity_days=3
        )
        rx = prescriptions.create_draft(doctor, self.accepted_consultation(patient_username), draft)
        prescriptions.sign_prescription(doctor, rx.id)
        prescriptions.review_prescription(user("pharm01"), rx.id, "approve")
        return rx.id


@pytest.fixture
def care(demo_app):
    return Care(demo_app)
