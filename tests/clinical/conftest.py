"""Fixtures of the clinical-trust tests: the prescriptions area's small hospital (World), plus
claimed diagnoses, earlier prescriptions (in supply or long ended) and an outside pharmacy."""

from __future__ import annotations

import io
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image

from core import accounts, clock
from core.extensions import db
from core.models import Role
from hospital.models.consultations import Consultation
from hospital.services import patients
from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import ItemInput
from tests.conftest import GOOD_PASSWORD
from tests.prescriptions.conftest import World


def _record_photo() -> bytes:
    """A real PNG (uploads are decoded and re-encoded, so a fake header alone is refused)."""
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (240, 240, 235)).save(out, format="PNG")
    return out.getvalue()


PNG = _record_photo()  # an in-person record "photo" (type read from the content)
REASON = {"override_code": "benefit_outweighs_risk", "override_reason": "已告知患者风险，监测INR"}


class ClinicalWorld(World):
    def claimed(self, patient=None, icd10="I10", name="原发性高血压"):
        """A diagnosis the patient typed himself (claimed)."""
        return patients.add_diagnosis(patient or self.patient, "市第一医院", name, icd10, date(2021, 3, 2))

    def consultation_for(self, diagnosis, doctor=None):
        """An accepted consultation on an existing diagnosis row."""
        row = Consultation(
            patient_id=diagnosis.patient_id,
            department_id=self.department.id,
            doctor_id=(doctor or self.doctor).id,
            diagnosis_id=diagnosis.id,
            mode="text",
            status="accepted",
            complaint="复诊开药",
        )
        db.session.add(row)
        db.session.commit()
        return row

    def earlier(self, *items: ItemInput, days_ago: int = 0, icd10="I10", name="原发性高血压", long=False):
        """A prescription signed and approved `days_ago` days ago (its supply starts then)."""
        with clock.frozen(clock.now() - timedelta(days=days_ago)):
            consultation = self.consultation(icd10=icd10, name=name, stable=long)
            draft = rxs.DraftInput(list(items), long_prescription=long, long_reason="病情稳定" if long else "")
            rx = rxs.create_draft(self.doctor.user, consultation.id, draft)
            rx = rxs.sign_prescription(self.doctor.user, rx.id, REASON["override_reason"], REASON["override_code"])
            rxs.review_prescription(self.pharmacist, rx.id, "approve")
        return rx

    def outside_pharmacist(self):
        """A pharmacist of a pharmacy that belongs to no hospital of ours."""
        user = accounts.create_staff("pharm9", Role.PHARMACIST, "外药师", GOOD_PASSWORD)
        pharmacy = self.add_pharmacy("PH9", None, user)
        return user, pharmacy


@pytest.fixture
def world(app, client):
    return ClinicalWorld(client)


@pytest.fixture
def api(world):
    return SimpleNamespace(
        doctor=world.token("doc1"),
        other_doctor=world.token("doc2"),
        pharmacist=world.token("pharm1"),
        patient=world.token("13900000001"),
        other_patient=world.token("13900000002"),
    )
