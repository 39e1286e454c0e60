"""The pages render for each role and the form actions follow the same rules as the API."""

from __future__ import annotations

from tests.conftest import csrf_of, page_login
from tests.consultations.conftest import PATIENT, diagnosis_of


def test_patient_requests_and_doctor_accepts_through_pages(demo_app, in_shift):
    patient, doctor = demo_app.test_client(), demo_app.test_client()
    page_login(patient, PATIENT)
    page = patient.get("/consultations/new?renew=1")
    assert page.status_code == 200 and "diagnosis_id" in page.get_data(as_text=True)
    from core.extensions import db
    from hospital.models.network import Department

    card = db.session.execute(db.select(Department).filter_by(code="CARD")).scalars().first()
    refused = patient.post(
        "/consultations/new",
        data={
            "department_id": card.id,
            "complaint": "x",
            "diagnosis_id": diagnosis_of(PATIENT).id,
            "csrf_token": csrf_of(patient.get("/").get_data(as_text=True)),
        },
    )
    assert refused.status_code == 422 and "⚠" in refused.get_data(as_text=True)
    created = patient.post(
        "/consultations/new",
        data={
            "department_id": card.id,
            "complaint": "来续药",
            "diagnosis_id": diagnosis_of(PATIENT).id,
            "mode": "text",
            "csrf_token": csrf_of(patient.get("/").get_data(as_text=True)),
        },
    )
    assert created.status_code == 302
    url = created.headers["Location"]
    assert patient.get(url).status_code == 200
    assert "#" in patient.get("/").get_data(as_text=True)  # the home block of open consultations
    page_login(doctor, "doc03")
    bench = doctor.get("/doctor").get_data(as_text=True)
    assert url.rsplit("/", 1)[1] in bench
    accepted = doctor.post(url + "/accept", data={"csrf_token": csrf_of(doctor.get("/").get_data(as_text=True))})
    assert accepted.status_code == 302
    detail = doctor.get(url).get_data(as_text=True)
    assert 'id="record-form"' in detail and 'id="history"' in detail
    other = demo_app.test_client()
    page_login(other, "13800000003")
    assert other.get(url).status_code == 404


def test_admin_rota_week(demo_app, demo_client):
    page_login(demo_client, "admin")
    page = demo_client.get("/admin/rota")
    assert page.status_code == 200 and 'id="rota-table"' in page.get_data(as_text=True)


def test_new_consultation_offers_the_hub_departments_and_suggests_the_right_one(demo_client):
    import re

    page_login(demo_client, "13800000002")  # COPD (J44.9): followed up by respiratory medicine
    html = demo_client.get("/consultations/new").get_data(as_text=True)
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", html)
    assert len(options) == 25  # the provincial hospital's departments, not every member hospital's
    selected = re.search(r'<option value="\d+" selected>([^<]+)</option>', html).group(1)
    assert selected == "呼吸与危重症医学科"
