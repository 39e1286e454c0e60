"""Fixtures: the formulary loaded, a doctor with an accepted consultation, a patient, pharmacists.

Consultations are created as rows here (accepted, with the doctor), so the prescription services
are tested on their own; the consultation area's services check access as in production.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from core import accounts
from core.extensions import db
from core.models import Role
from hospital.models.consultations import Consultation
from hospital.models.patients import Allergy, ConfirmedDiagnosis
from hospital.seed_formulary import load_formulary
from hospital.services import network
from pharmacy.models import Pharmacy, PharmacyStaff
from tests.conftest import GOOD_PASSWORD, valid_id


class World:
    """A small hospital: one department, two doctors, a pharmacist and patients with diagnoses."""

    def __init__(self, client):
        self.client = client
        load_formulary()
        hospital = network.create_hospital("H1", "省立医院", "Provincial Hospital", "provincial")
        self.department = network.create_department(hospital.id, "CARD", "心血管内科", "Cardiology")
        self.doctor = network.create_doctor(
            "doc1", "林医生", GOOD_PASSWORD, hospital.id, self.department.id, "chief", date(2005, 9, 1)
        )
        self.other_doctor = network.create_doctor(
            "doc2", "陈医生", GOOD_PASSWORD, hospital.id, self.department.id, "attending", date(2008, 9, 1)
        )
        self.hospital = hospital
        self.pharmacist = accounts.create_staff("pharm1", Role.PHARMACIST, "郭药师", GOOD_PASSWORD)
        self.pharmacy = self.add_pharmacy("PH1", hospital.id, self.pharmacist)
        self.patient = accounts.register_patient("王建国", valid_id("19520314", "011"), "13900000001", GOOD_PASSWORD)
        self.other_patient = accounts.register_patient(
            "李秀兰", valid_id("19481102", "022"), "13900000002", GOOD_PASSWORD
        )

    def add_pharmacy(self, code: str, hospital_id: int | None, *staff) -> Pharmacy:
        """A pharmacy (the hospital's own when hospital_id is given) with its staff."""
        pharmacy = Pharmacy(code=code, name_zh=f"{code}药房", name_en=f"{code} pharmacy", hospital_id=hospital_id)
        db.session.add(pharmacy)
        db.session.flush()
        db.session.add_all(PharmacyStaff(user_id=u.id, pharmacy_id=pharmacy.id) for u in staff)
        db.session.commit()
        return pharmacy

    def diagnosis(self, patient=None, icd10="I10", name="原发性高血压", chronic=True, stable=False):
        row = ConfirmedDiagnosis(
            patient_id=(patient or self.patient).id,
            hospital_name="省立医院",
            diagnosis=name,
            icd10=icd10,
            diagnosed_on=date(2020, 6, 15),
            chronic=chronic,
            stable=stable,
        )
        db.session.add(row)
        db.session.commit()
        return row

    def allergy(self, allergen: str, patient=None):
        db.session.add(Allergy(patient_id=(patient or self.patient).id, allergen=allergen))
        db.session.commit()

    def consultation(self, patient=None, doctor=None, status="accepted", **diagnosis):
        patient = patient or self.patient
        row = Consultation(
            patient_id=patient.id,
            department_id=self.department.id,
            doctor_id=(doctor or self.doctor).id,
            diagnosis_id=self.diagnosis(patient, **diagnosis).id,
            mode="text",
            status=status,
            complaint="复诊开药",
        )
        db.session.add(row)
        db.session.commit()
        return row

    def token(self, username: str) -> dict:
        response = self.client.post("/api/auth/login", json={"username": username, "password": GOOD_PASSWORD})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    def doctor_user(self):
        return self.doctor.user

    def user(self, username: str):
        return accounts.get_by_username(username)


@pytest.fixture
def world(app, client):
    return World(client)


def item(code="AML5", dose=5, frequency="qd", days=7, **extra):
    return {"drug_code": code, "dose": dose, "frequency": frequency, "days": days, **extra}


@pytest.fixture
def rx_api(world, client):
    """Bearer headers of each actor."""
    return SimpleNamespace(
        doctor=world.token("doc1"),
        other_doctor=world.token("doc2"),
        pharmacist=world.token("pharm1"),
        patient=world.token("13900000001"),
        other_patient=world.token("13900000002"),
    )
