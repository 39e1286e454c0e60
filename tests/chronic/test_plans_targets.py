"""Follow-up plans (set by a doctor, due/overdue, ticked off by the reading or the consultation
that fulfils them) and per-patient thresholds changed by his doctor."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from hospital.services import consultations
from tests.chronic.conftest import CARDIOLOGIST, OTHER_DOCTOR, OTHER_PATIENT, PATIENT, user

BP = {"kind": "blood_pressure", "systolic": 132, "diastolic": 82}


def test_doctor_sets_a_plan_and_readings_and_consultations_tick_it_off(care):
    me = user(PATIENT).id
    today = clock.today()
    body = {
        "items": [
            {"kind": "blood_pressure", "interval_days": 28, "first_due": today.isoformat()},
            {"kind": "visit", "interval_days": 90, "first_due": today.isoformat()},
            {"kind": "lab:HBA1C", "interval_days": 90},
        ],
        "note": "高血压合并糖尿病",
    }
    created = care.post(f"/api/chronic/patients/{me}/plans", CARDIOLOGIST, json=body)
    assert created.status_code == 201, created.get_json()
    items = care.get(f"/api/chronic/patients/{me}/plan-items", PATIENT).get_json()
    mine = {i["kind"]: i for i in items if i["due_on"] == today.isoformat()}
    assert {"blood_pressure", "visit"} <= set(mine) and mine["blood_pressure"]["days"] == 0
    # The department's list shows the seeded overdue HbA1c and today's items with the patient's name.
    due = care.get("/api/chronic/follow-ups", CARDIOLOGIST).get_json()
    assert any(i["overdue"] and i["kind"] == "lab:HBA1C" for i in due)
    assert all(i["patient_name"] for i in due)
    # A blood-pressure reading ticks off the blood-pressure item; the next falls due in 28 days.
    care.post("/api/chronic/readings", PATIENT, json=BP)
    after = {i["id"]: i for i in care.get(f"/api/chronic/patients/{me}/plan-items", PATIENT).get_json()}
    bp = after[mine["blood_pressure"]["id"]]
    assert bp["due_on"] == (today + timedelta(days=28)).isoformat() and bp["last_done_by"].startswith("reading:")
    # A completed consultation ticks off the visit.
    consultation_id = care.accepted_consultation()
    record = {
        "chief_complaint": "血压随访",
        "history": "规律服药",
        "diagnosis": "原发性高血压",
        "icd10": "I10",
        "advice": "继续服药，每日测血压",
    }
    consultations.complete(user(CARDIOLOGIST), consultation_id, record)
    after = {i["id"]: i for i in care.get(f"/api/chronic/patients/{me}/plan-items", PATIENT).get_json()}
    assert after[mine["visit"]["id"]]["last_done_by"] == f"consultation:{consultation_id}"
    assert after[mine["visit"]["id"]]["due_on"] == (today + timedelta(days=90)).isoformat()


def test_bad_plans_are_refused_naming_the_field(care):
    me = user(PATIENT).id
    cases = [
        ({"items": [{"kind": "yoga", "interval_days": 7}]}, "kind"),
        ({"items": [{"kind": "glucose", "interval_days": 0}]}, "interval_days"),
        ({"items": []}, "items"),
        ({"items": [{"kind": "glucose", "interval_days": 7, "first_due": "2020-01-01"}]}, "first_due"),
    ]
    for body, field in cases:
        response = care.post(f"/api/chronic/patients/{me}/plans", CARDIOLOGIST, json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in str(response.get_json()["errors"]["json"]), response.get_json()
    ok = {"items": [{"kind": "glucose", "interval_days": 7}]}
    assert care.post(f"/api/chronic/patients/{me}/plans", PATIENT, json=ok).status_code == 403
    assert care.post(f"/api/chronic/patients/{me}/plans", OTHER_DOCTOR, json=ok).status_code == 404


def test_doctor_changes_thresholds_and_readings_follow_them(care):
    me = user(PATIENT).id
    defaults = care.get(f"/api/chronic/patients/{me}/targets", PATIENT).get_json()
    assert (defaults["bp_systolic_urgent"], defaults["bp_diastolic_urgent"], defaults["glucose_urgent"]) == (
        180,
        110,
        16.7,
    )
    assert defaults["customised"] is False
    assert care.post("/api/chronic/readings", PATIENT, json={**BP, "systolic": 165}).get_json()["level"] == "high"
    changed = care.put(f"/api/chronic/patients/{me}/targets", CARDIOLOGIST, json={"bp_systolic_urgent": 160})
    assert changed.status_code == 200 and changed.get_json()["customised"] is True
    assert care.post("/api/chronic/readings", PATIENT, json={**BP, "systolic": 166}).get_json()["level"] == "urgent"
    too_low = care.put(f"/api/chronic/patients/{me}/targets", CARDIOLOGIST, json={"bp_systolic_urgent": 130})
    assert too_low.status_code == 422 and "bp_systolic_urgent" in too_low.get_json()["errors"]["json"]
    crossed = care.put(
        f"/api/chronic/patients/{me}/targets", CARDIOLOGIST, json={"glucose_fasting_high": 11.5, "glucose_urgent": 11.2}
    )
    assert crossed.status_code == 422 and "glucose_fasting_high" in crossed.get_json()["errors"]["json"]
    assert care.put(f"/api/chronic/patients/{me}/targets", PATIENT, json={"bp_systolic_urgent": 170}).status_code == 403
    assert (
        care.put(f"/api/chronic/patients/{me}/targets", OTHER_DOCTOR, json={"bp_systolic_urgent": 170}).status_code
        == 404
    )
    assert care.get(f"/api/chronic/patients/{me}/targets", OTHER_PATIENT).status_code == 404
