"""The shift desk's API: the queue with ages and waiting times, "next patient", the patient column
in one read (renewal proposal, last prescription, days preset), the inline prescription checked and
saved with its source; other doctors and patients refused."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, page_login
from tests.shift.seeding import phone_of, renewable_patient


def _call(client, who, method, path, expect=200, **kwargs):
    response = getattr(client, method)(path, headers=who["headers"], **kwargs)
    assert response.status_code == expect, (path, response.get_json())
    return response.get_json()


def _renewal(client, users, index: int, stable: bool = True) -> tuple[dict, dict]:
    """A seeded patient asks to renew his prescription (as the patient, through the API)."""
    renewable_patient(index, stable)
    patient = users.login(phone_of(index), DEMO_PASSWORD)
    rx = _call(client, patient, "get", "/api/prescriptions")[0]
    consultation = _call(client, patient, "post", f"/api/prescriptions/{rx['id']}/renew", 201, json={})
    return patient, {**consultation, "source_id": rx["id"]}


@pytest.fixture
def doctor(demo_users):
    return demo_users.login("doc28", DEMO_PASSWORD)  # cardiology, on call around the clock


def test_queue_shows_age_mode_renewal_and_waiting_since(demo_client, demo_users, doctor):
    _, consultation = _renewal(demo_client, demo_users, 1)
    queue = _call(demo_client, doctor, "get", "/api/shift/queue")
    entry = next(e for e in queue["waiting"] if e["id"] == consultation["id"])
    assert entry["renewal"] is True and entry["mode"] == "text" and entry["icd10"] == "I10"
    assert 50 <= entry["age"] <= 80 and entry["sex"] in ("M", "F") and entry["waiting_since"]
    assert queue["shift"] is not None and queue["department_id"]


def test_next_patient_accepts_the_longest_waiting_then_says_nobody_waits(demo_client, demo_users, doctor):
    _, first = _renewal(demo_client, demo_users, 2)
    _, second = _renewal(demo_client, demo_users, 3)
    waiting = [e["id"] for e in _call(demo_client, doctor, "get", "/api/shift/queue")["waiting"]]
    taken = _call(demo_client, doctor, "post", "/api/shift/next", json={})
    assert taken["id"] == waiting[0] and taken["status"] == "accepted"
    while _call(demo_client, doctor, "get", "/api/shift/queue")["waiting"]:
        _call(demo_client, doctor, "post", "/api/shift/next", json={})
    empty = _call(demo_client, doctor, "post", "/api/shift/next", 404, json={})
    assert empty["reason"] == "queue_empty"
    assert {first["id"], second["id"]} <= {
        c["id"] for c in _call(demo_client, doctor, "get", "/api/shift/queue")["accepted"]
    }


def test_patient_column_has_the_proposal_the_last_prescription_and_the_stable_preset(demo_client, demo_users, doctor):
    _, consultation = _renewal(demo_client, demo_users, 4)
    _call(demo_client, doctor, "post", f"/api/consultations/{consultation['id']}/accept", json={})
    desk = _call(demo_client, doctor, "get", f"/api/shift/consultations/{consultation['id']}")
    assert desk["patient"]["name"].endswith("复诊五") and desk["age"] and desk["patient"]["sex"]
    assert desk["proposal"]["id"] == consultation["source_id"] == desk["last"]["id"]
    assert [(i["drug_code"], i["days"]) for i in desk["proposal"]["items"]] == [("AML5", 28)]
    assert desk["preset_days"] == 28 and desk["long_reason"] and desk["default_advice"]
    assert any(d["icd10"] == "I10" and d["stable"] for d in desk["diagnoses"])
    assert [m["drug_code"] for m in desk["medications"]] == ["AML5"]
    assert desk["draft"] is None and desk["written"] == []


def test_a_patient_not_marked_stable_gets_the_seven_day_preset(demo_client, demo_users, doctor):
    _, consultation = _renewal(demo_client, demo_users, 5, stable=False)
    _call(demo_client, doctor, "post", f"/api/consultations/{consultation['id']}/accept", json={})
    desk = _call(demo_client, doctor, "get", f"/api/shift/consultations/{consultation['id']}")
    assert desk["preset_days"] == 7 and desk["long_reason"] == ""


def test_the_copy_is_checked_without_its_own_source_then_saved_and_signed(demo_client, demo_users, doctor):
    _, consultation = _renewal(demo_client, demo_users, 6)
    cid, source = consultation["id"], consultation["source_id"]
    _call(demo_client, doctor, "post", f"/api/consultations/{cid}/accept", json={})
    body = {
        "items": [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 28}],
        "long_prescription": True,
        "long_reason": "病情稳定，长期处方",
    }
    check, save = f"/api/shift/consultations/{cid}/check", f"/api/shift/consultations/{cid}/prescription"
    plain = _call(demo_client, doctor, "post", check, json=body)
    assert any(f["code"].startswith("duplicate") for f in plain["findings"])  # the running supply counts
    copied = _call(demo_client, doctor, "post", check, json={**body, "source_id": source})
    assert copied["blocking"] == copied["warnings"] == 0 and copied["quantities"][0] >= 1
    draft = _call(demo_client, doctor, "post", save, json={**body, "source_id": source})
    assert draft["status"] == "draft" and draft["renewal_of_id"] == source
    again = _call(demo_client, doctor, "post", save, json={**body, "prescription_id": draft["id"]})
    assert again["id"] == draft["id"]
    signed = _call(demo_client, doctor, "post", f"/api/prescriptions/{draft['id']}/sign", json={})
    assert signed["status"] == "signed"
    desk = _call(demo_client, doctor, "get", f"/api/shift/consultations/{cid}")
    assert desk["draft"] is None and [p["id"] for p in desk["written"]] == [draft["id"]]


def test_other_doctors_patients_and_foreign_sources_are_refused(demo_client, demo_users, doctor):
    patient, consultation = _renewal(demo_client, demo_users, 7)
    _, other = _renewal(demo_client, demo_users, 8)
    cid = consultation["id"]
    _call(demo_client, doctor, "post", f"/api/consultations/{cid}/accept", json={})
    endocrinologist = demo_users.login("doc27", DEMO_PASSWORD)
    _call(demo_client, endocrinologist, "get", f"/api/shift/consultations/{cid}", 404)
    body = {"items": [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}]}
    _call(demo_client, endocrinologist, "post", f"/api/shift/consultations/{cid}/check", 404, json=body)
    _call(demo_client, endocrinologist, "post", f"/api/shift/consultations/{cid}/prescription", 404, json=body)
    _call(demo_client, patient, "get", f"/api/shift/consultations/{cid}", 403)
    _call(demo_client, patient, "get", "/api/shift/queue", 403)
    _call(demo_client, patient, "post", "/api/shift/next", 403, json={})
    # Another patient's prescription is no source for this one's copy (its existence does not leak).
    foreign = {**body, "source_id": other["source_id"]}
    _call(demo_client, doctor, "post", f"/api/shift/consultations/{cid}/check", 404, json=foreign)
    _call(demo_client, doctor, "post", f"/api/shift/consultations/{cid}/prescription", 404, json=foreign)
    _call(demo_client, doctor, "get", "/api/shift/consultations/999999", 404)


def test_the_desk_page_is_in_the_doctors_menu(demo_client):
    page_login(demo_client, "doc28")
    home = demo_client.get("/").get_data(as_text=True)
    assert 'href="/shift"' in home and 'id="home-shift-desk"' in home
    assert 'id="open-shift-desk"' in demo_client.get("/doctor").get_data(as_text=True)
    page = demo_client.get("/shift")
    assert page.status_code == 200 and 'id="shift-desk"' in page.get_data(as_text=True)
    demo_client.set_cookie("lang", "en")
    english = demo_client.get("/shift").get_data(as_text=True)
    assert "Next patient" in english and "Copy the last prescription" in english and "下一位患者" not in english
