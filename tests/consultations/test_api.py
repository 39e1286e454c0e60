"""Consultation rules through the API: follow-up only, guardian, shifts, capacity, transitions, access."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.extensions import db
from core.models import Notification
from hospital.models.consultations import Handover
from tests.consultations.conftest import CHILD, OTHER_PATIENT, PATIENT, diagnosis_of, doctor_by_username, next_shift

RECORD = {
    "chief_complaint": "复诊续药",
    "history": "高血压6年，规律服药",
    "diagnosis": "原发性高血压",
    "icd10": "I10",
    "advice": "低盐饮食，继续服药，每日测血压",
}


def accepted(hosp, doctor="doc03", **extra) -> int:
    created = hosp.start(**extra)
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    response = hosp.call(doctor, "POST", f"/api/consultations/{cid}/accept")
    assert response.status_code == 200, response.get_json()
    return cid


def test_first_visit_is_refused(hosp, in_shift):
    response = hosp.start(diagnosis_id=None)
    assert response.status_code == 422 and response.get_json()["reason"] == "first_visit"
    assert "diagnosis_id" in response.get_json()["errors"]["json"]
    someone_elses = hosp.start(diagnosis_id=diagnosis_of(OTHER_PATIENT).id)
    assert someone_elses.status_code == 422 and someone_elses.get_json()["reason"] == "first_visit"


def test_patient_may_add_an_in_person_diagnosis(hosp, in_shift):
    bad = hosp.start(
        diagnosis_id=None,
        new_diagnosis={
            "hospital_name": "市一医院",
            "diagnosis": "高血压",
            "icd10": "high",
            "diagnosed_on": "2024-03-01",
        },
    )
    assert bad.status_code == 422 and bad.get_json()["reason"] == "invalid_icd10"
    good = hosp.start(
        diagnosis_id=None,
        new_diagnosis={
            "hospital_name": "市一医院",
            "diagnosis": "高血压",
            "icd10": "i10",
            "diagnosed_on": "2024-03-01",
        },
    )
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["diagnosis"]["icd10"] == "I10" and good.get_json()["status"] == "waiting"


def test_child_under_six_needs_a_guardian(hosp, in_shift):
    refused = hosp.start(CHILD, "CARD")
    assert refused.status_code == 422 and refused.get_json()["reason"] == "guardian_required"
    ok = hosp.start(CHILD, "CARD", guardian={"name": "周妈妈", "relation": "母亲", "phone": "13900000009"})
    assert ok.status_code == 201 and ok.get_json()["guardian_name"] == "周妈妈"


def test_accept_only_during_own_shift(hosp, demo_app):
    shift = next_shift("doc03")
    with clock.frozen(shift.starts_at - timedelta(minutes=30)):  # doc28 is on call, doc03 not yet
        cid = hosp.start().get_json()["id"]
        off = hosp.call("doc03", "POST", f"/api/consultations/{cid}/accept")
        assert off.status_code == 409 and off.get_json()["reason"] == "off_shift"
        on_call = hosp.call("doc28", "POST", f"/api/consultations/{cid}/accept")
        assert on_call.status_code == 200 and on_call.get_json()["status"] == "accepted"


def test_doctor_of_another_department_cannot_accept(hosp, in_shift):
    cid = hosp.start().get_json()["id"]
    assert hosp.call("doc01", "POST", f"/api/consultations/{cid}/accept").status_code == 404


def test_capacity_full(hosp, in_shift):
    assert hosp.call("admin", "PATCH", f"/api/shifts/{in_shift.id}", {"capacity": 1}).status_code == 200
    first, second = hosp.start().get_json()["id"], hosp.start(OTHER_PATIENT, icd10="E78.5").get_json()["id"]
    assert hosp.call("doc03", "POST", f"/api/consultations/{first}/accept").status_code == 200
    full = hosp.call("doc03", "POST", f"/api/consultations/{second}/accept")
    assert full.status_code == 409 and full.get_json()["reason"] == "capacity_full"
    below = hosp.call("admin", "PATCH", f"/api/shifts/{in_shift.id}", {"capacity": 0})
    assert below.status_code == 422


def test_illegal_transitions_are_409(hosp, in_shift):
    cid = accepted(hosp)
    assert hosp.call(PATIENT, "POST", f"/api/consultations/{cid}/cancel", {}).get_json()["reason"] == (
        "illegal_transition"
    )
    assert hosp.call("doc03", "POST", f"/api/consultations/{cid}/accept").status_code == 409
    assert hosp.call("doc03", "POST", f"/api/consultations/{cid}/complete", RECORD).status_code == 200
    for action in ("accept", "complete", "cancel"):
        response = hosp.call("doc03", "POST", f"/api/consultations/{cid}/{action}", {})
        assert response.status_code == 409, (action, response.get_json())
    waiting = hosp.start().get_json()["id"]
    premature = hosp.call("doc03", "POST", f"/api/consultations/{waiting}/refer-offline", {"reason": "需面诊"})
    assert premature.status_code in (403, 409)


def test_complete_needs_a_record_and_patient_sees_it(hosp, in_shift):
    cid = accepted(hosp)
    incomplete = hosp.call("doc03", "POST", f"/api/consultations/{cid}/complete", {"advice": "多喝水"})
    assert incomplete.status_code == 422 and incomplete.get_json()["reason"] == "record_incomplete"
    assert hosp.call("doc03", "PUT", f"/api/consultations/{cid}/record", RECORD).status_code == 200
    done = hosp.call("doc03", "POST", f"/api/consultations/{cid}/complete", {})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    record = hosp.call(PATIENT, "GET", f"/api/consultations/{cid}/record")
    assert record.status_code == 200 and record.get_json()["icd10"] == "I10"
    events = [n.event for n in db.session.execute(db.select(Notification)).scalars()]
    assert "consultation.accepted" in events and "consultation.completed" in events


def test_refer_offline_and_cancel(hosp, in_shift):
    cid = accepted(hosp)
    assert hosp.call("doc03", "POST", f"/api/consultations/{cid}/refer-offline", {}).status_code == 422
    referred = hosp.call("doc03", "POST", f"/api/consultations/{cid}/refer-offline", {"reason": "胸痛需面诊"})
    assert referred.status_code == 200 and referred.get_json()["status"] == "referred"
    waiting = hosp.start().get_json()["id"]
    cancelled = hosp.call(PATIENT, "POST", f"/api/consultations/{waiting}/cancel", {"reason": "不需要了"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_waiting_expires_at_shift_end_and_patient_is_told(hosp, in_shift):
    cid = hosp.start().get_json()["id"]
    expires = hosp.call(PATIENT, "GET", f"/api/consultations/{cid}").get_json()["expires_at"]
    assert expires
    with clock.frozen(in_shift.ends_at + timedelta(days=2)):
        hosp.tokens.clear()
        assert hosp.call(PATIENT, "GET", f"/api/consultations/{cid}").get_json()["status"] == "expired"
    events = [n.event for n in db.session.execute(db.select(Notification)).scalars()]
    assert "consultation.expired" in events


def test_open_consultation_is_handed_over_at_shift_end(hosp, in_shift):
    handed, kept = accepted(hosp), accepted(hosp)
    assert hosp.call("doc03", "POST", f"/api/consultations/{kept}/handover", {"keep": True}).status_code == 200
    with clock.frozen(in_shift.ends_at + timedelta(minutes=1)):
        hosp.tokens.clear()
        result = hosp.call("admin", "POST", "/api/consultations/sweep")
        assert result.get_json()["handed_over"] == 1
        moved = hosp.call(PATIENT, "GET", f"/api/consultations/{handed}").get_json()
        assert moved["status"] == "accepted" and moved["doctor_id"] != doctor_by_username("doc03").id
        assert hosp.call(PATIENT, "GET", f"/api/consultations/{kept}").get_json()["doctor_id"] == (
            doctor_by_username("doc03").id
        )
        # The first doctor can still read what he handed over, but no longer acts on it.
        assert hosp.call("doc03", "GET", f"/api/consultations/{handed}").status_code == 200
        assert hosp.call("doc03", "POST", f"/api/consultations/{handed}/messages", {"text": "hi"}).status_code == 403
    assert db.session.execute(db.select(Handover).filter_by(consultation_id=handed)).scalar_one().to_doctor_id


def test_messages_dedupe_and_since(hosp, in_shift):
    cid = accepted(hosp)
    first = hosp.call(PATIENT, "POST", f"/api/consultations/{cid}/messages", {"text": "医生好", "client_id": "a1"})
    again = hosp.call(PATIENT, "POST", f"/api/consultations/{cid}/messages", {"text": "医生好", "client_id": "a1"})
    assert first.status_code == 201 and again.get_json()["seq"] == first.get_json()["seq"]
    hosp.call("doc03", "POST", f"/api/consultations/{cid}/messages", {"text": "您好", "client_id": "b1"})
    seqs = [m["seq"] for m in hosp.call(PATIENT, "GET", f"/api/consultations/{cid}/messages").get_json()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) == 3  # system line + two messages
    later = hosp.call("doc03", "GET", f"/api/consultations/{cid}/messages?since={first.get_json()['seq']}").get_json()
    assert [m["text"] for m in later] == ["您好"]
    read = hosp.call(PATIENT, "POST", f"/api/consultations/{cid}/read", {"seq": seqs[-1]})
    assert read.status_code == 200 and read.get_json()["seq"] == seqs[-1]


def _png() -> bytes:
    """A real PNG: stored images are decoded and re-encoded, so a header alone no longer passes."""
    from io import BytesIO as _Buffer

    from PIL import Image

    out = _Buffer()
    Image.new("RGB", (2, 2), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def test_images_checked_by_content_and_size_and_served_to_participants(hosp, in_shift, demo_app):
    import io

    cid = accepted(hosp)
    upload = hosp.call(
        PATIENT,
        "POST",
        f"/api/consultations/{cid}/images",
        data={"file": (io.BytesIO(PNG), "scan.png")},
        content_type="multipart/form-data",
        json=None,
    )
    assert upload.status_code == 201, upload.get_json()
    url = upload.get_json()["attachment_url"]
    fake = hosp.call(
        PATIENT,
        "POST",
        f"/api/consultations/{cid}/images",
        data={"file": (io.BytesIO(b"<script>x</script>"), "evil.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and fake.get_json()["reason"] == "image_type"
    demo_app.config["CONSULTATION_IMAGE_MAX_BYTES"] = 32
    big = hosp.call(
        PATIENT,
        "POST",
        f"/api/consultations/{cid}/images",
        data={"file": (io.BytesIO(PNG), "big.png")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 422 and big.get_json()["reason"] == "image_too_large"
    served = hosp.call("doc03", "GET", url)
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"
    served.close()
    assert hosp.call(OTHER_PATIENT, "GET", url).status_code == 404
    assert hosp.call("doc01", "GET", url).status_code == 404


def test_other_users_are_refused_on_every_endpoint(hosp, in_shift):
    cid = accepted(hosp)
    hosp.call("doc03", "PUT", f"/api/consultations/{cid}/record", RECORD)
    patient_id = hosp.call(PATIENT, "GET", f"/api/consultations/{cid}").get_json()["patient_id"]
    endpoints = [
        ("GET", f"/api/consultations/{cid}", None),
        ("POST", f"/api/consultations/{cid}/accept", None),
        ("POST", f"/api/consultations/{cid}/cancel", {}),
        ("POST", f"/api/consultations/{cid}/complete", RECORD),
        ("POST", f"/api/consultations/{cid}/refer-offline", {"reason": "需面诊"}),
        ("POST", f"/api/consultations/{cid}/handover", {"keep": True}),
        ("GET", f"/api/consultations/{cid}/record", None),
        ("PUT", f"/api/consultations/{cid}/record", RECORD),
        ("GET", f"/api/consultations/{cid}/messages", None),
        ("POST", f"/api/consultations/{cid}/messages", {"text": "偷看"}),
        ("POST", f"/api/consultations/{cid}/read", {"seq": 1}),
        ("GET", f"/api/consultations/{cid}/attachments/1", None),
        ("GET", f"/api/patients/{patient_id}/history", None),
    ]
    for outsider in (OTHER_PATIENT, "doc01", "pharm01"):
        for method, path, body in endpoints:
            response = hosp.call(outsider, method, path, body)
            assert response.status_code in (403, 404), (outsider, method, path, response.status_code)
    mine = [c["id"] for c in hosp.call(OTHER_PATIENT, "GET", "/api/consultations").get_json()]
    assert cid not in mine
    assert hosp.client.get(f"/api/consultations/{cid}").status_code == 401


def test_doctor_sees_patient_history(hosp, in_shift):
    cid = accepted(hosp)
    patient_id = hosp.call(PATIENT, "GET", f"/api/consultations/{cid}").get_json()["patient_id"]
    history = hosp.call("doc03", "GET", f"/api/patients/{patient_id}/history").get_json()
    assert {d["icd10"] for d in history["diagnoses"]} >= {"I10"}
    assert history["allergies"][0]["allergen"] == "penicillin"
    assert cid in [c["id"] for c in history["consultations"]]
    assert "**" in history["patient"]["id_number"]


def test_queue_lists_waiting_patients_of_the_department(hosp, in_shift):
    cid = hosp.start().get_json()["id"]
    queue = hosp.call("doc03", "GET", "/api/consultations/queue").get_json()
    assert queue["shift"]["id"] == in_shift.id and cid in [c["id"] for c in queue["waiting"]]
    assert hosp.call("doc03", "GET", f"/api/consultations/{cid}").status_code == 200  # look before accepting
    assert cid not in [c["id"] for c in hosp.call("doc01", "GET", "/api/consultations/queue").get_json()["waiting"]]
    assert hosp.call(PATIENT, "GET", "/api/consultations/queue").status_code == 403


def test_the_queue_prints_his_shifts_as_the_rota_does(hosp, in_shift):
    """The queue reads the doctor's shifts as rows (issue #13): what it prints of each is what the
    rota's own list prints (his name, the department in both languages, times, capacity)."""
    queue = hosp.call("doc03", "GET", "/api/consultations/queue").get_json()
    doctor_id = queue["shift"]["doctor_id"]
    rota = hosp.call("doc03", "GET", f"/api/shifts?doctor={doctor_id}&upcoming=true").get_json()
    assert queue["next_shifts"] == rota[: len(queue["next_shifts"])] and queue["next_shifts"]
    assert queue["shift"] == rota[0] and queue["shift"]["id"] == in_shift.id
    shift = queue["shift"]
    assert shift["doctor_name"] and shift["department_name_zh"] and shift["department_name_en"]


def test_two_doctors_accepting_at_once_one_wins(hosp, in_shift, demo_app):
    import threading

    cid = hosp.start().get_json()["id"]
    headers = {name: hosp.headers(name) for name in ("doc03", "doc28")}  # both on shift in cardiology now
    barrier, codes = threading.Barrier(2), {}

    def accept(name: str) -> None:
        with demo_app.app_context():
            client = demo_app.test_client()
            barrier.wait()
            codes[name] = client.post(f"/api/consultations/{cid}/accept", headers=headers[name]).status_code
            db.session.remove()

    threads = [threading.Thread(target=accept, args=(name,)) for name in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(codes.values()) == [200, 409], codes
    winner = next(name for name, code in codes.items() if code == 200)
    consultation = hosp.call(PATIENT, "GET", f"/api/consultations/{cid}").get_json()
    assert consultation["status"] == "accepted" and consultation["doctor_id"] == doctor_by_username(winner).id
