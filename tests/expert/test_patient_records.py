"""What the panel sees of the patient's record: the clinical rules of the doctor's header (only
allergies that still stand, confirmed diagnoses as facts, a claimed one labelled as the patient's
word, a rejected one not at all)."""

from datetime import date

import pytest

from core import accounts
from core.extensions import db
from hospital.models.patients import Allergy, ConfirmedDiagnosis, DiagnosisSource, DiagnosisStatus
from hospital.services import expert, network
from tests.conftest import page_login

PATIENT_PHONE = "13800000001"


def _doctor_id(username: str) -> int:
    return network.doctor_for_user(accounts.get_by_username(username).id).id


def _diagnosis(patient_id: int, name: str, icd10: str, status: str) -> None:
    source = DiagnosisSource.VISIT_RECORD if status == DiagnosisStatus.CONFIRMED else DiagnosisSource.PATIENT_CLAIM
    db.session.add(
        ConfirmedDiagnosis(
            patient_id=patient_id,
            hospital_name="测试协作医院",
            diagnosis=name,
            icd10=icd10,
            diagnosed_on=date(2024, 5, 1),
            status=status,
            source=source,
        )
    )


@pytest.fixture
def case_with_record(demo_app):
    """A consented case whose patient has one withdrawn and one active allergy, and a confirmed,
    a claimed and a rejected diagnosis."""
    patient = accounts.get_by_username(PATIENT_PHONE)
    db.session.execute(db.delete(Allergy).filter_by(patient_id=patient.id))
    db.session.execute(db.delete(ConfirmedDiagnosis).filter_by(patient_id=patient.id))
    db.session.add(Allergy(patient_id=patient.id, allergen="磺胺类药物", in_catalogue=False, active=False))
    db.session.add(Allergy(patient_id=patient.id, allergen="花生", in_catalogue=False, active=True))
    _diagnosis(patient.id, "原发性高血压", "I10", DiagnosisStatus.CONFIRMED)
    _diagnosis(patient.id, "2型糖尿病", "E11.9", DiagnosisStatus.CLAIMED)
    _diagnosis(patient.id, "冠心病", "I25.1", DiagnosisStatus.REJECTED)
    db.session.commit()
    case = expert.request_case(
        accounts.get_by_username("doc01"),
        expert.CaseRequest(
            patient_phone=PATIENT_PHONE,
            title="高血压会诊",
            summary="血压控制不佳。",
            questions=[],
            expert_ids=[_doctor_id("exp03")],
            leader_id=_doctor_id("exp02"),
            urgent=True,
            records_consent=True,
            consent_note="患者口头同意",
        ),
    )
    expert.answer_invitation(accounts.get_by_username("exp03"), case.id, accept=True)
    return case.id


def test_the_service_gives_only_standing_facts_and_keeps_claims_apart(case_with_record):
    case = db.session.get(expert.ExpertCase, case_with_record)
    records = expert.patient_records(accounts.get_by_username("exp03"), case)
    assert [a.allergen for a in records["allergies"]] == ["花生"]
    assert [d.diagnosis for d in records["diagnoses"]] == ["原发性高血压"]
    assert [d.diagnosis for d in records["claimed"]] == ["2型糖尿病"]


def test_the_expert_room_shows_the_claimed_diagnosis_labelled_and_hides_withdrawn_and_rejected(
    case_with_record, demo_client
):
    page_login(demo_client, "exp03")
    html = demo_client.get(f"/expert-cases/{case_with_record}").get_data(as_text=True)
    assert 'class="allergy"' in html and "花生" in html
    assert "磺胺类药物" not in html  # withdrawn
    assert "原发性高血压" in html
    assert "冠心病" not in html  # rejected by a doctor
    confirmed = html.split('id="patient-records"', 1)[1].split("</ul>", 1)[0]
    assert "2型糖尿病" not in confirmed
    claimed = html.split('id="claimed-diagnoses"', 1)[1].split("</ul>", 1)[0]
    assert "2型糖尿病" in claimed and "患者自述" in claimed
