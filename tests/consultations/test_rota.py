"""The rota: eligibility, no overlapping shifts, who is on duty, the week of the demo."""

from __future__ import annotations

from datetime import date, timedelta

from core import clock
from hospital.services import network
from tests.consultations.conftest import doctor_by_username


def test_demo_rota_covers_two_weeks_and_now(hosp, demo_app):
    shifts = hosp.client.get("/api/shifts?upcoming=true").get_json()
    assert shifts
    # The demo's two weeks start on the day it was seeded: yesterday, when the suite built its
    # demo database before midnight (Asia/Shanghai) and runs this after it.
    today = clock.today()
    window = hosp.client.get(f"/api/shifts?from={today - timedelta(1)}&to={today + timedelta(13)}").get_json()
    days = {s["day"] for s in window}
    assert str(today) in days and len(days) >= 14
    on_duty = hosp.client.get("/api/doctors?on_duty=true").get_json()
    assert {"doc26", "doc27", "doc28"} <= {d["username"] for d in on_duty}


def test_only_doctors_with_three_years_practice_go_on_the_rota(hosp, demo_app):
    novice = doctor_by_username("doc05")
    network.update_doctor(novice.id, practice_since=clock.today() - timedelta(days=400))
    day = (clock.today() + timedelta(days=20)).isoformat()
    refused = hosp.call("admin", "POST", "/api/shifts", {"doctor_id": novice.id, "day": day, "kind": "morning"})
    assert refused.status_code == 422 and refused.get_json()["reason"] == "practice_too_short"


def test_no_doctor_in_two_shifts_at_once(hosp, demo_app):
    doctor = doctor_by_username("doc01")
    day = (clock.today() + timedelta(days=20)).isoformat()
    first = hosp.call(
        "admin", "POST", "/api/shifts", {"doctor_id": doctor.id, "day": day, "kind": "morning", "capacity": 5}
    )
    assert first.status_code == 201 and first.get_json()["capacity"] == 5
    again = hosp.call("admin", "POST", "/api/shifts", {"doctor_id": doctor.id, "day": day, "kind": "morning"})
    assert again.status_code == 409 and again.get_json()["reason"] == "shift_overlap"
    oncall = hosp.call("admin", "POST", "/api/shifts", {"doctor_id": doctor.id, "day": day, "kind": "oncall"})
    assert oncall.status_code == 409
    evening = hosp.call("admin", "POST", "/api/shifts", {"doctor_id": doctor.id, "day": day, "kind": "evening"})
    assert evening.status_code == 201
    assert (
        hosp.call("doc01", "POST", "/api/shifts", {"doctor_id": doctor.id, "day": day, "kind": "evening"}).status_code
        == 403
    )
    assert hosp.call("admin", "DELETE", f"/api/shifts/{evening.get_json()['id']}").status_code == 204


def test_shift_times_come_from_config_in_local_time(demo_app):
    from hospital.services import rota

    start, end = rota.shift_window(date(2026, 3, 2), "morning")
    assert clock.to_local(start).hour == 8 and clock.to_local(end).hour == 12
    start, end = rota.shift_window(date(2026, 3, 2), "oncall")
    assert end - start == timedelta(hours=24)
