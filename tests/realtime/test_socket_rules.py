"""Socket rules in-process (Flask-SocketIO's test client on the demo data): every payload is
validated and acknowledged in the HTTP error shape, revoked sessions lose their sockets, a socket
whose token is gone is refused at its next check, lost access removes the socket from the room."""

from __future__ import annotations

import time

import pytest

from core import accounts, clock, session_cache, sessions
from core import events as core_events
from core.extensions import db, socketio
from core.models import AuditEntry, UserSession
from core.signals import room_access_ended
from hospital.models.consultations import ConsultationMessage
from hospital.models.network import Department
from hospital.services import consultations

PATIENT, DOCTOR = "13800000001", "doc28"


def _user(username):
    return accounts.get_by_username(username)


def _token(username) -> str:
    return sessions.open_api_session(_user(username)).token


@pytest.fixture
def consultation_id(demo_app) -> int:
    return _accepted_consultation()


def _accepted_consultation() -> int:
    patient = _user(PATIENT)
    card = db.session.execute(db.select(Department).filter_by(code="CARD")).scalars().first()
    diagnosis = consultations.patients.list_diagnoses(patient.id)[0]
    consultation = consultations.start_consultation(patient.id, card.id, diagnosis.id, "text", "血压平稳，续药")
    consultations.accept(_user(DOCTOR), consultation.id)
    return consultation.id


def _client(app, username):
    client = socketio.test_client(app, auth={"token": _token(username)})
    assert client.is_connected()
    return client


def _wait(condition, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        socketio.sleep(0.02)  # lets the server's background greenlets run (gevent, not patched here)
    return condition()


def _assert_422(ack: dict, field: str | None = None) -> None:
    assert ack["ok"] is False and ack["code"] == 422, ack
    assert ack["status"] == "Unprocessable Entity" and ack["message"]
    if field:
        assert field in ack["errors"]["json"], ack


def test_wrong_payloads_are_acknowledged_with_the_http_422_shape(demo_app, consultation_id):
    patient = _client(demo_app, PATIENT)
    room = f"consultation:{consultation_id}"
    assert patient.emit("join", {"room": room}, callback=True)["ok"]
    _assert_422(patient.emit("message", {"consultation_id": consultation_id, "text": {"a": 1}}, callback=True), "text")
    _assert_422(patient.emit("join", {"room": "consultation:" + "9" * 40}, callback=True), "room")
    _assert_422(patient.emit("join", {"room": "consultation:168394142832162559136804896768"}, callback=True), "room")
    _assert_422(patient.emit("join", [1, 2], callback=True), "_schema")
    _assert_422(patient.emit("message", {"consultation_id": 2**70, "text": "hi"}, callback=True), "consultation_id")
    _assert_422(patient.emit("message", {"consultation_id": "12", "text": "hi"}, callback=True), "consultation_id")
    _assert_422(patient.emit("read", {"consultation_id": consultation_id, "seq": -1}, callback=True), "seq")
    _assert_422(patient.emit("read", {"consultation_id": consultation_id}, callback=True), "seq")
    _assert_422(patient.emit("typing", {"consultation_id": consultation_id, "typing": "x" * 9}, callback=True))
    _assert_422(patient.emit("signal", {"room": room, "kind": "bomb", "to": 1}, callback=True), "kind")
    _assert_422(patient.emit("case.hand", {"case_id": -3}, callback=True), "case_id")
    _assert_422(patient.emit("message", {"consultation_id": consultation_id, "text": "长" * 2001}, callback=True))
    # a refusal of the domain has the same shape with its own status
    refused = patient.emit("message", {"consultation_id": consultation_id, "text": "   "}, callback=True)
    assert refused["ok"] is False and refused["code"] == 422 and "text" in refused["errors"]["json"]
    not_joined = patient.emit("message", {"consultation_id": consultation_id + 1, "text": "hi"}, callback=True)
    assert not_joined["ok"] is False and not_joined["code"] == 403
    # and a good one still goes through
    ack = patient.emit(
        "message", {"consultation_id": consultation_id, "text": "好的", "client_id": "ok-1"}, callback=True
    )
    assert ack["ok"] and ack["message"]["seq"] >= 1
    patient.disconnect()


def test_a_resent_client_id_is_stored_once_and_the_store_rechecks_access(demo_app, consultation_id):
    _resent_once_then_closed(demo_app, consultation_id)


@pytest.mark.postgres
def test_on_postgres_a_resent_client_id_is_stored_once_and_the_store_rechecks_access(pg_app):
    """PostgreSQL stores a message in one statement, in autocommit, on the driver's cursor."""
    pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    consultation_id = _accepted_consultation()
    _resent_once_then_closed(pg_app, consultation_id)
    audited = db.select(AuditEntry.object_id).where(AuditEntry.object_type == "consultation_message")
    by_patient = db.select(ConsultationMessage.id).where(
        ConsultationMessage.consultation_id == consultation_id, ConsultationMessage.sender_id == _user(PATIENT).id
    )
    stored = [str(i) for i in db.session.execute(by_patient).scalars()]
    assert len(stored) == 1 and stored[0] in set(db.session.execute(audited).scalars())  # once, audited


def _resent_once_then_closed(app, consultation_id: int) -> None:
    patient = _client(app, PATIENT)
    assert patient.emit("join", {"room": f"consultation:{consultation_id}"}, callback=True)["ok"]
    first = patient.emit(
        "message", {"consultation_id": consultation_id, "text": "一", "client_id": "c-1"}, callback=True
    )
    again = patient.emit(
        "message", {"consultation_id": consultation_id, "text": "一", "client_id": "c-1"}, callback=True
    )
    assert first["ok"] and again["ok"] and again["duplicate"] is True
    assert again["message"]["seq"] == first["message"]["seq"] and again["message"]["id"] == first["message"]["id"]
    consultations.complete(
        _user(DOCTOR),
        consultation_id,
        {"chief_complaint": "复诊", "diagnosis": "高血压", "icd10": "I10", "advice": "继续服药"},
    )
    closed = patient.emit(
        "message", {"consultation_id": consultation_id, "text": "还在吗", "client_id": "c-2"}, callback=True
    )
    assert closed["ok"] is False and closed["code"] == 409 and closed["reason"] == "chat_closed"
    patient.disconnect()


def test_access_that_ends_removes_the_socket_from_the_room(demo_app, consultation_id):
    patient, doctor = _client(demo_app, PATIENT), _client(demo_app, DOCTOR)
    room = f"consultation:{consultation_id}"
    assert patient.emit("join", {"room": room}, callback=True)["ok"]
    assert doctor.emit("join", {"room": room}, callback=True)["ok"]
    doctor.get_received()
    room_access_ended.send(room, user_ids=[_user(DOCTOR).id])
    left = [e for e in doctor.get_received() if e["name"] == "room.left"]
    assert left and left[0]["args"][0]["room"] == room
    assert patient.emit(
        "message", {"consultation_id": consultation_id, "text": "私密", "client_id": "p-9"}, callback=True
    )["ok"]
    assert [e for e in doctor.get_received() if e["name"] == "message"] == []  # nothing after
    refused = doctor.emit(
        "message", {"consultation_id": consultation_id, "text": "我还在", "client_id": "d-9"}, callback=True
    )
    assert refused["ok"] is False and refused["code"] == 403
    patient.disconnect(), doctor.disconnect()


def test_revoked_sessions_disconnect_every_socket_of_the_user(demo_app, consultation_id):
    first, second, other = _client(demo_app, PATIENT), _client(demo_app, PATIENT), _client(demo_app, DOCTOR)
    sessions.revoke_all(_user(PATIENT).id)  # "log out everywhere": the signal reaches the sockets
    assert _wait(lambda: not first.is_connected() and not second.is_connected())
    assert other.is_connected()
    other.disconnect()


def test_a_socket_whose_token_is_gone_is_refused_at_its_next_check(demo_app, consultation_id, monkeypatch):
    token = _token(PATIENT)
    client = socketio.test_client(demo_app, auth={"token": token})
    room = f"consultation:{consultation_id}"
    assert client.emit("join", {"room": room}, callback=True)["ok"]
    # the session ends behind the app's back (no signal, nothing remembered is told): once the
    # remembered resolution has lapsed, the periodic recheck notices
    db.session.execute(
        db.update(UserSession).filter_by(secret_hash=sessions.digest(token)).values(revoked_at=clock.now())
    )
    db.session.commit()
    session_cache.clear()
    monkeypatch.setattr(core_events, "REVALIDATE_SECONDS", 0.0)
    ack = client.emit(
        "message", {"consultation_id": consultation_id, "text": "还能发吗", "client_id": "x"}, callback=True
    )
    assert ack["ok"] is False and ack["code"] == 401
    assert not client.is_connected()


def test_an_anonymous_socket_is_refused(demo_app):
    client = socketio.test_client(demo_app, auth={"token": "no-such-token"})
    assert not client.is_connected()


def test_a_handover_removes_the_handing_doctor_from_the_room(demo_app, consultation_id):
    from hospital.models.network import Doctor
    from hospital.services import consultation_handover, network

    mine = network.doctor_for_user(_user(DOCTOR).id)
    colleague_id = db.session.execute(
        db.select(Doctor.id).where(Doctor.department_id == mine.department_id, Doctor.id != mine.id)
    ).scalar()
    patient, doctor = _client(demo_app, PATIENT), _client(demo_app, DOCTOR)
    room = f"consultation:{consultation_id}"
    assert patient.emit("join", {"room": room}, callback=True)["ok"]
    assert doctor.emit("join", {"room": room}, callback=True)["ok"]
    doctor.get_received()
    consultation_handover.handover(_user(DOCTOR), consultation_id, to_doctor_id=colleague_id, note="下一班")
    assert [e for e in doctor.get_received() if e["name"] == "room.left"]
    patient.emit(
        "message", {"consultation_id": consultation_id, "text": "新医生您好", "client_id": "h-1"}, callback=True
    )
    assert [e for e in doctor.get_received() if e["name"] == "message"] == []
    refused = doctor.emit(
        "message", {"consultation_id": consultation_id, "text": "我交班了", "client_id": "h-2"}, callback=True
    )
    assert refused["ok"] is False and refused["code"] == 403
    patient.disconnect(), doctor.disconnect()
