"""Reference answers remembered per process (hospital/api/remembered.py): who is on duty, the
departments, the drug search. A change must be seen at once: by a commit in this process, by the
word another process sends over the message queue, and by the clock at a shift's start or end."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

from core import clock, socket_queue
from core.extensions import db
from hospital.api import remembered
from hospital.models.network import Department
from tests.consultations.conftest import PATIENT, doctor_by_username


def _on_duty(hosp, department_id: int) -> set[str]:
    answer = hosp.call(PATIENT, "GET", f"/api/doctors?department={department_id}&on_duty=true")
    assert answer.status_code == 200
    return {d["username"] for d in answer.get_json()}


def test_a_deactivated_doctor_leaves_the_on_duty_list_at_once(hosp, in_shift):
    department = in_shift.department_id
    assert "doc03" in _on_duty(hosp, department)  # remembered now
    doc03 = doctor_by_username("doc03")
    changed = hosp.call("admin", "PATCH", f"/api/staff/{doc03.user_id}", {"active": False})
    assert changed.status_code == 200, changed.get_json()
    assert "doc03" not in _on_duty(hosp, department)


def test_the_on_duty_list_follows_the_clock_at_a_shift_end(hosp, in_shift):
    department = in_shift.department_id
    assert "doc03" in _on_duty(hosp, department)
    with clock.frozen(in_shift.ends_at + timedelta(seconds=1)):  # no write: only time passed
        assert "doc03" not in _on_duty(hosp, department)
    assert "doc03" in _on_duty(hosp, department)  # and back (tests move the clock both ways)


def test_a_new_department_is_listed_at_once(hosp, demo_app):
    before = hosp.call(PATIENT, "GET", "/api/departments").get_json()
    hospital_id = before[0]["hospital_id"]
    created = hosp.call(
        "admin",
        "POST",
        "/api/departments",
        {"hospital_id": hospital_id, "code": "ZZ", "name_zh": "测试科", "name_en": "Test"},
    )
    assert created.status_code == 201, created.get_json()
    after = hosp.call(PATIENT, "GET", "/api/departments").get_json()
    assert len(after) == len(before) + 1 and "ZZ" in {d["code"] for d in after}


def test_another_processs_change_is_seen_when_its_word_arrives(hosp, demo_app):
    """Another process writes the database and tells every process over the queue: until the word
    arrives the answer may be remembered (within TTL_SECONDS); once it arrives it is read anew."""
    before = hosp.call(PATIENT, "GET", "/api/departments").get_json()
    path = db.engine.url.database
    other = sqlite3.connect(path)  # another process: no ORM events of this one see its write
    with other:
        other.execute(
            "INSERT INTO departments (hospital_id, code, name_zh, name_en, active) VALUES (?, ?, ?, ?, 1)",
            (before[0]["hospital_id"], "YY", "别处科", "Elsewhere"),
        )
    other.close()
    assert hosp.call(PATIENT, "GET", "/api/departments").get_json() == before  # remembered
    word = socket_queue.CONTROL_PREFIX + json.dumps([remembered._WORD, {"tables": [Department.__tablename__]}])
    assert socket_queue._run_control(word)  # as the queue's listener delivers it
    after = hosp.call(PATIENT, "GET", "/api/departments").get_json()
    assert "YY" in {d["code"] for d in after}


def test_drug_search_is_still_refused_to_patients(hosp, demo_app):
    assert hosp.call("doc03", "GET", "/api/drugs?q=aml").status_code == 200
    assert hosp.call(PATIENT, "GET", "/api/drugs?q=aml").status_code == 403
