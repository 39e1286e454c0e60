"""Home readings over the API: recorded with units, impossible values refused in words naming the
field, urgent readings alerting the on-duty doctors (stored and live), trend flags, CSV import,
charts for 7/30/90 days, and access (another patient's readings are 404)."""

from __future__ import annotations

import io
from datetime import timedelta

from chronic.models import Alert, Reading
from core import clock
from core.extensions import db, socketio
from core.models import Notification
from tests.chronic.conftest import CARDIOLOGIST, OTHER_DOCTOR, OTHER_PATIENT, PATIENT, user

BP = {"kind": "blood_pressure", "systolic": 132, "diastolic": 82, "pulse": 72}


def test_a_reading_is_stored_with_unit_level_and_advice(care):
    response = care.post("/api/chronic/readings", PATIENT, json=BP)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["systolic"], body["diastolic"], body["pulse"], body["unit"]) == (132, 82, 72, "mmHg")
    assert body["level"] == "normal" and body["advice"]
    assert body["measured_at"].endswith("+08:00")
    glucose = care.post(
        "/api/chronic/readings", PATIENT, json={"kind": "glucose", "context": "fasting", "value": 126, "unit": "mg/dL"}
    ).get_json()
    assert (glucose["value"], glucose["unit"], glucose["level"]) == (7.0, "mmol/L", "normal")


def test_impossible_values_are_refused_naming_the_field(care):
    cases = [
        ({**BP, "systolic": 400}, "systolic", "400"),
        ({**BP, "diastolic": 140, "systolic": 130}, "diastolic", None),
        ({**BP, "pulse": 5}, "pulse", None),
        ({"kind": "glucose", "value": 6.1}, "context", None),
        ({"kind": "glucose", "context": "fasting", "value": 80}, "value", None),
        ({"kind": "weight", "value": 0.5}, "value", None),
        ({"kind": "temperature", "value": 37}, "kind", None),
        ({**BP, "measured_at": (clock.now() + timedelta(days=1)).isoformat()}, "measured_at", None),
    ]
    for body, field, said in cases:
        response = care.post("/api/chronic/readings", PATIENT, json=body)
        assert response.status_code == 422, (body, response.get_json())
        error = response.get_json()
        assert field in error["errors"]["json"], (body, error)
        assert error["message"] and (said is None or said in error["message"])
    wrong_type = care.post("/api/chronic/readings", PATIENT, json={**BP, "systolic": "high"})
    assert wrong_type.status_code == 422 and "systolic" in wrong_type.get_json()["errors"]["json"]


def test_urgent_reading_tells_the_patient_what_to_do_and_alerts_the_doctor_on_duty(care, demo_app):
    doctor = user(CARDIOLOGIST)
    live = socketio.test_client(demo_app, auth={"token": care.h(CARDIOLOGIST)["Authorization"][7:]})
    assert live.is_connected()
    live.get_received()
    response = care.post("/api/chronic/readings", PATIENT, json={**BP, "systolic": 186, "diastolic": 112})
    body = response.get_json()
    assert body["level"] == "urgent"
    assert "120" in body["advice"]  # tells him when to call the emergency number
    alert = db.session.execute(db.select(Alert).filter_by(patient_id=user(PATIENT).id, kind="urgent")).scalar_one()
    assert alert.kind == "urgent" and alert.summary.startswith("186/112 mmHg")
    assert alert.department_id == care.department("CARD").id
    stored = db.session.execute(
        db.select(Notification).filter_by(user_id=doctor.id, event="chronic.alert")
    ).scalar_one()
    assert stored.payload["patient_id"] == user(PATIENT).id
    pushed = [m for m in live.get_received() if m["name"] == "chronic.alert"]
    assert pushed and pushed[0]["args"][0]["summary"].startswith("186/112")
    live.disconnect()
    # Not on duty in that department: the respiratory doctor is not told.
    assert not db.session.execute(
        db.select(Notification).filter_by(user_id=user(OTHER_DOCTOR).id, event="chronic.alert")
    ).first()
    listed = care.get("/api/chronic/alerts", CARDIOLOGIST).get_json()
    assert alert.id in [a["id"] for a in listed]
    seen = care.post(f"/api/chronic/alerts/{alert.id}/acknowledge", CARDIOLOGIST)
    assert seen.status_code == 200 and seen.get_json()["status"] == "acknowledged"
    again = care.post(f"/api/chronic/alerts/{alert.id}/acknowledge", CARDIOLOGIST)
    assert again.status_code == 409
    told = db.session.execute(db.select(Notification).filter_by(user_id=user(PATIENT).id, event="chronic.alert_seen"))
    assert "186/112" in told.scalar_one().payload["title"]  # the patient learns a doctor has seen it


def test_very_high_fasting_glucose_is_urgent(care):
    body = care.post(
        "/api/chronic/readings", PATIENT, json={"kind": "glucose", "context": "fasting", "value": 16.7}
    ).get_json()
    assert body["level"] == "urgent"
    low = care.post("/api/chronic/readings", PATIENT, json={"kind": "glucose", "context": "random", "value": 2.6})
    assert low.get_json()["level"] == "urgent" and "甜" in low.get_json()["advice"]  # eat something sweet


def test_repeated_high_readings_raise_one_trend_flag(care):
    now = clock.now()
    for hours in (50, 26, 2, 1):
        when = (now - timedelta(hours=hours)).isoformat()
        response = care.post("/api/chronic/readings", PATIENT, json={**BP, "systolic": 152, "measured_at": when})
        assert response.get_json()["level"] == "high"
    trends = db.session.execute(db.select(Alert).filter_by(patient_id=user(PATIENT).id, kind="trend")).scalars().all()
    assert len(trends) == 1
    assert any(a["kind"] == "trend" for a in care.get("/api/chronic/alerts", CARDIOLOGIST).get_json())


def test_csv_import_checks_every_row_and_skips_duplicates(care):
    day = clock.local_now().date() - timedelta(days=2)
    good = (
        "measured_at,kind,systolic,diastolic,pulse,value,unit,context\n"
        f"{day} 06:10,blood_pressure,138,86,70,,,\n"
        f"{day} 06:15,glucose,,,,6.4,mmol/L,fasting\n"
        f"{day} 06:20,weight,,,,68.5,kg,\n"
    ).encode()
    first = care.post("/api/chronic/readings/import", PATIENT, data={"file": (io.BytesIO(good), "bp.csv")})
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"imported": 3, "skipped": 0}
    again = care.post("/api/chronic/readings/import", PATIENT, data={"file": (io.BytesIO(good), "bp.csv")})
    assert again.get_json() == {"imported": 0, "skipped": 3}
    bad = good + f"{day} 08:00,blood_pressure,400,90,,,,\n".encode()
    refused = care.post("/api/chronic/readings/import", PATIENT, data={"file": (io.BytesIO(bad), "bp.csv")})
    assert refused.status_code == 422
    assert "file" in refused.get_json()["errors"]["json"] and "5" in refused.get_json()["message"]
    headerless = care.post("/api/chronic/readings/import", PATIENT, data={"file": (io.BytesIO(b"1,2,3\n"), "x.csv")})
    assert headerless.status_code == 422 and "measured_at" in headerless.get_json()["message"]


def test_chart_periods_and_access(care):
    me = user(PATIENT).id
    care.post("/api/chronic/readings", PATIENT, json=BP)
    for days in (7, 30, 90):
        response = care.get(f"/api/chronic/patients/{me}/readings?days={days}", PATIENT)
        assert response.status_code == 200
    seeded_month = care.get(f"/api/chronic/patients/{me}/readings?days=30&kind=blood_pressure", PATIENT).get_json()
    assert len(seeded_month) >= 28  # the demo month plus today's
    assert len(care.get(f"/api/chronic/patients/{me}/readings?days=7", PATIENT).get_json()) < len(seeded_month)
    wrong = care.get(f"/api/chronic/patients/{me}/readings?days=45", PATIENT)
    assert wrong.status_code == 422 and "days" in wrong.get_json()["errors"]["json"]
    # His cardiologist may look; another patient and a doctor of another department may not.
    assert care.get(f"/api/chronic/patients/{me}/readings", CARDIOLOGIST).status_code == 200
    for intruder in (OTHER_PATIENT, OTHER_DOCTOR):
        for path in ("readings", "alerts", "targets", "adherence", "plan-items", "lab-results", "lab-orders"):
            response = care.get(f"/api/chronic/patients/{me}/{path}", intruder)
            assert response.status_code == 404, (intruder, path, response.get_json())
    assert care.post("/api/chronic/readings", CARDIOLOGIST, json=BP).status_code == 403
    assert db.session.execute(db.select(Reading).filter_by(entered_by_id=user(CARDIOLOGIST).id)).first() is None
