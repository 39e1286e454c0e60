"""Lab results (network records, a patient's report confirmed by a doctor, trends) and lab tests
ordered online: ordered in a consultation, booked as a timed slot, results back to the record and
to the ordering doctor."""

from __future__ import annotations

from chronic.models import SlotPurpose, VisitSlot
from core import clock
from core.extensions import db
from core.models import Notification
from tests.chronic.conftest import CARDIOLOGIST, OTHER_DOCTOR, OTHER_PATIENT, PATIENT, user


def test_network_results_and_the_trend_of_a_test(care):
    me = user(PATIENT).id
    results = care.get(f"/api/chronic/patients/{me}/lab-results", PATIENT).get_json()
    assert {r["code"] for r in results} >= {"HBA1C", "LIPID", "RENAL"}
    hba1c = [r for r in results if r["code"] == "HBA1C"]
    assert all(r["source"] == "network" and r["unit"] == "%" and r["flag"] == "H" for r in hba1c)
    trend = care.get(f"/api/chronic/patients/{me}/lab-trend?code=HBA1C", CARDIOLOGIST).get_json()
    assert [p["v"] for p in trend] == [7.8, 7.2, 6.9]
    unknown = care.get(f"/api/chronic/patients/{me}/lab-trend?code=XYZ", PATIENT)
    assert unknown.status_code == 422 and "code" in unknown.get_json()["errors"]["json"]
    assert care.get(f"/api/chronic/patients/{me}/lab-trend?code=HBA1C", OTHER_PATIENT).status_code == 404


def test_patient_uploads_a_result_that_counts_once_a_doctor_confirms_it(care):
    me = user(PATIENT).id
    body = {"code": "HBA1C", "value": 6.5, "taken_on": clock.today().isoformat(), "hospital_name": "福州市第二医院"}
    uploaded = care.post("/api/chronic/lab-results", PATIENT, json=body)
    assert uploaded.status_code == 201 and uploaded.get_json()["confirmed"] is False
    trend = care.get(f"/api/chronic/patients/{me}/lab-trend?code=HBA1C", PATIENT).get_json()
    assert 6.5 not in [p["v"] for p in trend]
    result_id = uploaded.get_json()["id"]
    assert care.post(f"/api/chronic/lab-results/{result_id}/confirm", OTHER_DOCTOR).status_code == 404
    confirmed = care.post(f"/api/chronic/lab-results/{result_id}/confirm", CARDIOLOGIST)
    assert confirmed.status_code == 200 and confirmed.get_json()["confirmed"] is True
    assert care.post(f"/api/chronic/lab-results/{result_id}/confirm", CARDIOLOGIST).status_code == 409
    trend = care.get(f"/api/chronic/patients/{me}/lab-trend?code=HBA1C", PATIENT).get_json()
    assert trend[-1]["v"] == 6.5
    for field, bad in (("code", "XYZ"), ("value", -1), ("taken_on", "2999-01-01"), ("hospital_name", "")):
        response = care.post("/api/chronic/lab-results", PATIENT, json={**body, field: bad})
        assert response.status_code == 422 and field in response.get_json()["errors"]["json"], (
            field,
            response.get_json(),
        )


def test_tests_ordered_online_are_booked_and_the_results_reach_the_ordering_doctor(care):
    me = user(PATIENT).id
    consultation_id = care.accepted_consultation()
    bad = care.post(
        "/api/chronic/lab-orders", CARDIOLOGIST, json={"consultation_id": consultation_id, "tests": ["XYZ"]}
    )
    assert bad.status_code == 422 and "tests" in bad.get_json()["errors"]["json"]
    assert care.post(
        "/api/chronic/lab-orders", OTHER_DOCTOR, json={"consultation_id": consultation_id, "tests": ["HBA1C"]}
    ).status_code in (403, 404)
    ordered = care.post(
        "/api/chronic/lab-orders", CARDIOLOGIST, json={"consultation_id": consultation_id, "tests": ["HBA1C", "LIPID"]}
    )
    assert ordered.status_code == 201, ordered.get_json()
    order = ordered.get_json()
    assert order["status"] == "ordered"
    slot = (
        db.session.execute(
            # the first lab time still ahead: today's early ones have passed when the suite runs late
            db.select(VisitSlot)
            .filter_by(purpose=SlotPurpose.LAB)
            .where(VisitSlot.starts_at > clock.now())
            .order_by(VisitSlot.starts_at)
        )
        .scalars()
        .first()
    )
    assert (
        care.post(
            "/api/chronic/bookings", OTHER_PATIENT, json={"lab_order_id": order["id"], "slot_id": slot.id}
        ).status_code
        == 404
    )
    booked = care.post("/api/chronic/bookings", PATIENT, json={"lab_order_id": order["id"], "slot_id": slot.id})
    assert booked.status_code == 201, booked.get_json()
    assert care.get(f"/api/chronic/patients/{me}/lab-orders", PATIENT).get_json()[0]["status"] == "booked"
    results = {
        "results": [
            {"code": "HBA1C", "value": 6.6, "taken_on": clock.today().isoformat(), "hospital_name": "省立医院"},
        ]
    }
    missing = care.post(f"/api/chronic/lab-orders/{order['id']}/results", "admin", json=results)
    assert missing.status_code == 422 and "results" in missing.get_json()["errors"]["json"]
    results["results"].append(
        {"code": "LIPID", "value": 2.9, "taken_on": clock.today().isoformat(), "hospital_name": "省立医院"}
    )
    assert care.post(f"/api/chronic/lab-orders/{order['id']}/results", CARDIOLOGIST, json=results).status_code == 403
    back = care.post(f"/api/chronic/lab-orders/{order['id']}/results", "admin", json=results)
    assert back.status_code == 200 and back.get_json()["status"] == "resulted"
    mine = care.get(f"/api/chronic/patients/{me}/lab-results?code=LIPID", PATIENT).get_json()
    assert mine[0]["value"] == 2.9 and mine[0]["lab_order_id"] == order["id"] and mine[0]["source"] == "order"
    told = db.session.execute(
        db.select(Notification).filter_by(user_id=user(CARDIOLOGIST).id, event="chronic.lab_results")
    ).scalar_one()
    assert told.payload["lab_order_id"] == order["id"]
