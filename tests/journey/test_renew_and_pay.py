"""Renew from 我的用药 with one tap, the general form asks the diagnosis first, and an approved
prescription can be paid from every page the patient sees it on (demo data, real services)."""

from __future__ import annotations

import re

from core.extensions import db
from hospital.models.consultations import Consultation
from tests.conftest import csrf_of, page_login
from tests.journey.helpers import DIABETES, HYPERTENSION, PATIENT, approved_prescription


def _consultations(patient_id: int) -> list[Consultation]:
    return list(db.session.execute(db.select(Consultation).filter_by(patient_id=patient_id)).scalars())


def _renew(client, rx_id: int, page: str = "/medicines"):
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(f"/prescriptions/{rx_id}/renew", data={"csrf_token": token, "from": "medicines"})


def test_my_medicines_shows_days_left_and_a_renew_button_for_each(demo_client):
    pressure = approved_prescription(demo_client, HYPERTENSION)
    sugar = approved_prescription(demo_client, DIABETES)
    page_login(demo_client, PATIENT)
    html = demo_client.get("/medicines").get_data(as_text=True)
    assert "氨氯地平" in html and "二甲双胍" in html
    assert "还剩 7 天" in html and "还剩 5 天" in html
    # Always a renew button; the one with fewer than 7 days left stands out.
    assert f'id="renew-{pressure["id"]}-' in html and f'id="renew-{sugar["id"]}-' in html
    soon = re.search(r'<li class="medicine soon" data-prescription="(\d+)"', html)
    assert soon and int(soon.group(1)) == sugar["id"]
    assert 'class="btn big renew primary soon"' in html
    # The home tile "续方开药" leads here, not to the long form.
    home = demo_client.get("/").get_data(as_text=True)
    assert 'href="/medicines" id="tile-renew"' in home


def test_one_tap_renews_for_the_prescriptions_own_diagnosis_and_department(demo_client):
    approved_prescription(demo_client, HYPERTENSION)
    sugar = approved_prescription(demo_client, DIABETES)
    page_login(demo_client, PATIENT)
    before = len(_consultations(sugar["patient_id"]))
    response = _renew(demo_client, sugar["id"])
    assert response.status_code == 302
    consultation = db.session.get(Consultation, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert consultation.diagnosis_id == sugar["diagnosis_id"]  # diabetes, not the first diagnosis
    assert consultation.department_id == sugar["department_id"]  # endocrinology
    assert consultation.renewal_of_prescription_id == sugar["id"]
    # A second tap leads to the same renewal, not a duplicate.
    again = _renew(demo_client, sugar["id"])
    assert again.headers["Location"] == response.headers["Location"]
    assert len(_consultations(sugar["patient_id"])) == before + 1


def test_renewing_what_cannot_be_renewed_says_why_and_writes_nothing(demo_client):
    waiting = approved_prescription(demo_client, HYPERTENSION, approve=False)  # signed, not reviewed
    page_login(demo_client, PATIENT)
    before = len(_consultations(waiting["patient_id"]))
    response = _renew(demo_client, waiting["id"], page=f"/prescriptions/{waiting['id']}")
    assert response.status_code == 409
    assert "只有经药师审核通过的处方才能续方。" in response.get_data(as_text=True)
    assert len(_consultations(waiting["patient_id"])) == before
    # Someone else's prescription does not exist for him.
    page_login(demo_client, "13800000002")
    assert _renew(demo_client, waiting["id"]).status_code == 404


def test_the_request_form_asks_the_diagnosis_first_and_picks_the_department(demo_client):
    page_login(demo_client, PATIENT)
    html = demo_client.get("/consultations/new").get_data(as_text=True)
    assert html.index('name="diagnosis_id"') < html.index('name="department_id"')
    assert not re.search(r'name="diagnosis_id" value="\d+"[^>]*checked', html)  # two diagnoses: no guess
    diabetes = re.search(r'value="(\d+)" data-department="(\d+)"[^>]*>\s*2型糖尿病', html)
    token = csrf_of(html)
    form = {"csrf_token": token, "diagnosis_id": diabetes.group(1), "department_id": "", "complaint": "血糖偏高"}
    response = demo_client.post("/consultations/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    consultation = db.session.get(Consultation, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert consultation.department_id == int(diabetes.group(2))
    assert consultation.department.code == "ENDO"


def test_the_request_form_without_a_diagnosis_says_so_and_writes_nothing(demo_client):
    page_login(demo_client, PATIENT)
    token = csrf_of(demo_client.get("/consultations/new").get_data(as_text=True))
    patient_id = db.session.execute(db.text("select id from users where username = :u"), {"u": PATIENT}).scalar()
    before = len(_consultations(patient_id))
    response = demo_client.post("/consultations/new", data={"csrf_token": token, "complaint": "开药"})
    assert response.status_code == 422
    assert "错误" in response.get_data(as_text=True)
    assert len(_consultations(patient_id)) == before


def test_an_approved_prescription_is_paid_from_every_page_that_shows_it(demo_client):
    rx = approved_prescription(demo_client, HYPERTENSION)
    page_login(demo_client, PATIENT)
    pay = f'href="/orders/new?prescription={rx["id"]}"'
    home = demo_client.get("/").get_data(as_text=True)
    assert re.search(r"1 张处方待支付，有效至 \d+月\d+日 24:00", home), home
    for page in ("/", "/prescriptions", f"/prescriptions/{rx['id']}", "/notifications"):
        html = demo_client.get(page).get_data(as_text=True)
        assert pay in html and "去支付" in html, page
    assert demo_client.get(f"/orders/new?prescription={rx['id']}").status_code == 200


def test_my_medicines_api_and_renewal_by_api_are_the_patients_own(demo_client, demo_users):
    sugar = approved_prescription(demo_client, DIABETES)
    me = demo_users.login(PATIENT, "Demo@2026")
    medicines = demo_client.get("/api/prescriptions/medicines", headers=me["headers"]).get_json()
    metformin = next(m for m in medicines if m["prescription_id"] == sugar["id"])
    assert metformin["days_left"] == 5 and metformin["renew_soon"] and metformin["diagnosis"] == "2型糖尿病"
    other = demo_users.login("13800000002", "Demo@2026")
    assert demo_client.get("/api/prescriptions/medicines", headers=other["headers"]).get_json() == []
    refused = demo_client.post(f"/api/prescriptions/{sugar['id']}/renew", headers=other["headers"], json={})
    assert refused.status_code == 404
    doctor = demo_users.login("doc27", "Demo@2026")
    assert demo_client.get("/api/prescriptions/medicines", headers=doctor["headers"]).status_code == 403
