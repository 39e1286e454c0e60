"""Who sees a prescription and an expert case: refused with 404, and the refusal audited."""

from __future__ import annotations

from core.extensions import db
from core.models import AuditEntry
from hospital.models.expert import ExpertCase
from hospital.seed_expert import CASE_TITLE
from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import ItemInput
from pharmacy.models import Order
from tests.conftest import DEMO_PASSWORD, GOOD_PASSWORD


def refusals(object_type: str) -> list[AuditEntry]:
    query = db.select(AuditEntry).filter_by(object_type=object_type, action="refused")
    return list(db.session.execute(query).scalars())


def bearer(client, username: str, password: str) -> dict:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def signed(world):
    consultation = world.consultation()
    rx = rxs.create_draft(world.doctor.user, consultation.id, rxs.DraftInput([ItemInput("AML5", 5, "qd", 7)]))
    return rxs.sign_prescription(world.doctor.user, rx.id)


def place_order(rx, pharmacy) -> None:
    db.session.add(
        Order(
            ref="ORD-TEST-1",
            patient_id=rx.patient_id,
            pharmacy_id=pharmacy.id,
            prescription_id=rx.id,
            prescription_code=rx.code,
            pay_method="self",
            recipient="王建国",
            mobile="13900000001",
            province="福建省",
            city="福州市",
            district="鼓楼区",
            address_detail="东街1号",
        )
    )
    db.session.commit()


def test_pharmacists_of_the_prescribing_hospital_review_it_others_get_404_audited(world, client, api):
    rx = signed(world)
    outsider, _pharmacy = world.outside_pharmacist()
    headers = bearer(client, outsider.username, GOOD_PASSWORD)
    assert client.get(f"/api/prescriptions/{rx.id}", headers=headers).status_code == 404
    review = client.post(f"/api/prescriptions/{rx.id}/review", json={"decision": "approve"}, headers=headers)
    assert review.status_code == 404
    assert client.get("/api/prescriptions?status=signed", headers=headers).get_json() == []
    assert [(e.actor_id, e.patient_id) for e in refusals("prescription")] == [(outsider.id, rx.patient_id)] * 2
    assert client.get(f"/api/prescriptions/{rx.id}", headers=api.pharmacist).status_code == 200
    queue = client.get("/api/prescriptions?status=signed", headers=api.pharmacist).get_json()
    assert [r["id"] for r in queue] == [rx.id]


def test_a_pharmacys_staff_sees_a_prescription_once_it_is_ordered_there(world, client, api):
    rx = signed(world)
    rx = rxs.review_prescription(world.pharmacist, rx.id, "approve")
    outsider, pharmacy = world.outside_pharmacist()
    headers = bearer(client, outsider.username, GOOD_PASSWORD)
    assert client.get(f"/api/prescriptions/{rx.id}", headers=headers).status_code == 404
    place_order(rx, pharmacy)
    assert client.get(f"/api/prescriptions/{rx.id}", headers=headers).status_code == 200
    # …but reviewing stays with the prescribing hospital's pharmacists
    assert (
        client.post(
            f"/api/prescriptions/{rx.id}/review", json={"decision": "reject", "reason": "x"}, headers=headers
        ).status_code
        == 404
    )


def test_the_review_page_is_refused_to_another_hospitals_pharmacist(world, client):
    from tests.conftest import page_login

    rx = signed(world)
    outsider, _ = world.outside_pharmacist()
    page_login(client, outsider.username, GOOD_PASSWORD)
    assert client.get(f"/pharmacist/review/{rx.id}").status_code == 404
    assert f'data-id="{rx.id}"' not in client.get("/pharmacist/review").get_data(as_text=True)


def test_me_tells_a_pharmacist_or_dispatcher_where_he_works(demo_client):
    for path in ("/api/me", "/api/auth/me"):
        me = demo_client.get(path, headers=bearer(demo_client, "pharm01", DEMO_PASSWORD)).get_json()
        assert (
            me["workplace"]["pharmacy_name"] == "省立医院互联网药房" and me["workplace"]["hospital_name"] == "省立医院"
        )
    dispatcher = demo_client.get("/api/me", headers=bearer(demo_client, "disp01", DEMO_PASSWORD)).get_json()
    assert dispatcher["workplace"]["pharmacy_id"]
    patient = demo_client.get("/api/me", headers=bearer(demo_client, "13800000001", DEMO_PASSWORD)).get_json()
    assert patient["workplace"] is None


def test_an_expert_case_is_not_every_hospital_doctors(demo_app, demo_client):
    case = db.session.execute(db.select(ExpertCase).filter_by(title=CASE_TITLE)).scalar_one()
    colleague = bearer(demo_client, "doc02", DEMO_PASSWORD)  # same hospital as the requester, not invited
    assert demo_client.get(f"/api/expert-cases/{case.id}", headers=colleague).status_code == 404
    assert case.id not in [c["id"] for c in demo_client.get("/api/expert-cases", headers=colleague).get_json()]
    [entry] = refusals("expert_case")
    assert entry.object_id == str(case.id) and entry.patient_id == case.patient_id
    for username in ("doc01", "exp01", "admin"):  # the requester, an invited expert, an administrator
        headers = bearer(demo_client, username, DEMO_PASSWORD)
        assert demo_client.get(f"/api/expert-cases/{case.id}", headers=headers).status_code == 200, username


def test_the_review_view_shows_the_patients_background_to_the_hospitals_pharmacist(world, client, api):
    world.allergy("penicillin")
    world.diagnosis(icd10="E11.9", name="2型糖尿病")
    earlier = world.earlier(ItemInput("MF500", 500, "bid", 7), days_ago=1, icd10="E11.9", name="2型糖尿病")
    rx = signed(world)
    view = client.get(f"/api/prescriptions/{rx.id}/review", headers=api.pharmacist).get_json()
    assert view["prescription"]["id"] == rx.id and view["sex"] == "M" and view["age"] >= 70
    assert [a["allergen"] for a in view["allergies"]] == ["penicillin"]
    assert {d["icd10"] for d in view["diagnoses"]} >= {"I10", "E11.9"}
    assert [m["prescription_code"] for m in view["medications"]] == [earlier.code]
    outsider, _ = world.outside_pharmacist()
    headers = bearer(client, outsider.username, GOOD_PASSWORD)
    assert client.get(f"/api/prescriptions/{rx.id}/review", headers=headers).status_code == 404
