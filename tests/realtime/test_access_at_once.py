"""Access that changes takes effect at once (issue #12), even though each process remembers a
resolved session for a few seconds (issue #13, core.session_cache):
- a socket whose session ran out is refused at its next event (401 acknowledgement, disconnected);
- an administrator's role change takes the user's sockets out of every room the new role may not
  be in, and his next request is served with the new role; deactivation disconnects him;
- a revoked token is refused at its next request, in this process and in another one."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pytest
import requests
import socketio as socketio_client

from core import clock, session_cache, sessions, socket_queue
from core.extensions import db, socketio
from core.models import UserSession
from hospital.models.network import Department
from hospital.services import consultations
from tests.conftest import LiveServer, _copy_db
from tests.consultations.test_sockets import _accepted_consultation
from tests.realtime.test_socket_rules import DOCTOR, PATIENT, _client, _token, _user, _wait

ADMIN = "admin"


@pytest.fixture
def consultation_id(demo_app) -> int:
    return accepted_consultation()


def accepted_consultation() -> int:
    """The demo patient's consultation in cardiology, accepted by the demo doctor."""
    patient = _user(PATIENT)
    card = db.session.execute(db.select(Department).filter_by(code="CARD")).scalars().first()
    diagnosis = consultations.patients.list_diagnoses(patient.id)[0]
    consultation = consultations.start_consultation(patient.id, card.id, diagnosis.id, "text", "血压平稳，续药")
    consultations.accept(_user(DOCTOR), consultation.id)
    return consultation.id


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _messages(client) -> list:
    return [e for e in client.get_received() if e["name"] == "message"]


def test_a_socket_is_refused_at_its_first_event_after_its_token_ran_out(demo_app, consultation_id):
    pair = sessions.open_api_session(_user(PATIENT))
    client = socketio.test_client(demo_app, auth={"token": pair.token})
    room = f"consultation:{consultation_id}"
    assert client.emit("join", {"room": room}, callback=True)["ok"]
    with clock.frozen(pair.expires_at - timedelta(seconds=1)):
        sent = {"consultation_id": consultation_id, "text": "还在有效期内", "client_id": "t-1"}
        assert client.emit("message", sent, callback=True)["ok"]
    # no recheck is due (REVALIDATE_SECONDS is a minute): the remembered expiry alone refuses it
    with clock.frozen(pair.expires_at + timedelta(seconds=1)):
        late = {"consultation_id": consultation_id, "text": "过期了", "client_id": "t-2"}
        ack = client.emit("message", late, callback=True)
    assert ack["ok"] is False and ack["code"] == 401 and ack["status"] == "Unauthorized"
    assert not client.is_connected()


def test_a_refreshed_session_keeps_its_socket_past_the_first_expiry(demo_app, consultation_id):
    pair = sessions.open_api_session(_user(PATIENT))
    client = socketio.test_client(demo_app, auth={"token": pair.token})
    assert client.emit("join", {"room": f"consultation:{consultation_id}"}, callback=True)["ok"]
    with clock.frozen(pair.expires_at - timedelta(minutes=1)):
        renewed = sessions.refresh(pair.refresh_token)
    with clock.frozen(pair.expires_at + timedelta(minutes=1)):
        assert renewed.expires_at > clock.now()
        sent = {"consultation_id": consultation_id, "text": "刷新后继续", "client_id": "r-1"}
        assert client.emit("message", sent, callback=True)["ok"]
    client.disconnect()


def test_a_role_change_takes_the_doctor_out_of_the_room_at_once(demo_app, demo_client, consultation_id):
    patient, doctor = _client(demo_app, PATIENT), _client(demo_app, DOCTOR)
    doctor_token, doctor_id = _token(DOCTOR), _user(DOCTOR).id
    room = f"consultation:{consultation_id}"
    assert patient.emit("join", {"room": room}, callback=True)["ok"]
    assert doctor.emit("join", {"room": room}, callback=True)["ok"]
    assert demo_client.get("/api/consultations/queue", headers=_bearer(doctor_token)).status_code == 200
    doctor.get_received()

    changed = demo_client.patch(f"/api/staff/{doctor_id}", json={"role": "dispatcher"}, headers=_bearer(_token(ADMIN)))
    assert changed.status_code == 200 and changed.get_json()["role"] == "dispatcher"

    left = [e["args"][0] for e in doctor.get_received() if e["name"] == "room.left"]
    assert left == [{"room": room, "reason": "access_changed"}]
    sent = {"consultation_id": consultation_id, "text": "换了角色之后", "client_id": "role-1"}
    assert patient.emit("message", sent, callback=True)["ok"]
    assert _messages(doctor) == []  # nothing after the change
    assert doctor.emit("join", {"room": room}, callback=True)["code"] == 403
    refused = doctor.emit("message", {**sent, "client_id": "role-2"}, callback=True)
    assert refused["ok"] is False and refused["code"] == 403
    # his next request is served with the new role, although his token was remembered
    assert demo_client.get("/api/consultations/queue", headers=_bearer(doctor_token)).status_code == 403
    assert doctor.is_connected()  # he is still signed in: only what the new role may not keep is gone
    patient.disconnect(), doctor.disconnect()


def test_a_role_change_is_refused_for_patients_doctors_roles_and_oneself(demo_client):
    admin = _bearer(_token(ADMIN))
    patient_id, admin_id = _user(PATIENT).id, _user(ADMIN).id
    refused = demo_client.patch(f"/api/staff/{patient_id}", json={"role": "admin"}, headers=admin)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "not_staff"
    to_doctor = demo_client.patch(f"/api/staff/{_user('pharm01').id}", json={"role": "doctor"}, headers=admin)
    assert to_doctor.status_code == 422 and "role" in to_doctor.get_json()["errors"]["json"]
    own = demo_client.patch(f"/api/staff/{admin_id}", json={"active": False}, headers=admin)
    assert own.status_code == 409
    assert demo_client.patch(f"/api/staff/{admin_id}", json={}, headers=_bearer(_token(DOCTOR))).status_code == 403


def test_deactivation_disconnects_and_refuses_the_next_request(demo_app, demo_client):
    token = _token("pharm01")
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 200
    client = socketio.test_client(demo_app, auth={"token": token})
    assert client.is_connected()
    pharmacist_id = _user("pharm01").id
    admin = _bearer(_token(ADMIN))
    assert demo_client.patch(f"/api/staff/{pharmacist_id}", json={"active": False}, headers=admin).status_code == 200
    assert _wait(lambda: not client.is_connected())
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 401


def test_a_revoked_token_is_refused_at_once_although_it_was_remembered(demo_client):
    token = _token(PATIENT)
    for _ in range(2):  # the second answer comes from what the process remembers
        assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 200
    assert demo_client.post("/api/auth/logout", headers=_bearer(token)).status_code == 204
    refused = demo_client.get("/api/me", headers=_bearer(token))
    assert refused.status_code == 401 and refused.get_json()["code"] == 401


def test_a_revocation_in_another_process_reaches_this_one_by_the_queue(demo_client):
    token = _token(PATIENT)
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 200
    row = db.session.execute(db.select(UserSession).filter_by(secret_hash=sessions.digest(token))).scalar_one()
    # another process revokes it: the row changes and its word arrives on the queue's channel
    row.revoked_at = clock.now()
    db.session.commit()
    word = json.dumps(["sessions-changed", {"user_id": row.user_id, "session_ids": [row.id]}])
    socket_queue._run_control(socket_queue.CONTROL_PREFIX + word)
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 401


def test_what_is_remembered_lapses_by_itself(demo_client, monkeypatch):
    """Without any word (the queue away while another process revoked it): refused within the bound."""
    token = _token(PATIENT)
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 200
    db.session.execute(
        db.update(UserSession).filter_by(secret_hash=sessions.digest(token)).values(revoked_at=clock.now())
    )
    db.session.commit()
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 200  # still remembered
    monkeypatch.setattr(session_cache, "TTL_SECONDS", 0.0)
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 401


# --- two real processes behind the Redis queue ---------------------------------------------------


@pytest.fixture
def two_servers(demo_template_db, tmp_path):
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set (scripts/with-services.sh starts Redis on loopback)")
    database = _copy_db(demo_template_db, tmp_path / "shared.db")
    env = {"SOCKETIO_MESSAGE_QUEUE": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
    servers = [LiveServer(database, tmp_path / f"server{n}.log", env) for n in (1, 2)]
    yield servers
    for server in servers:
        server.stop()


def _until(condition, timeout: float) -> float | None:
    """Seconds until `condition()` held, or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


@pytest.mark.redis
@pytest.mark.live
def test_logout_in_one_process_ends_the_token_and_sockets_in_the_other(two_servers):
    first, second = two_servers
    _cid, patient_token, _doctor_token = _accepted_consultation(first)
    me = lambda: requests.get(f"{second.url}/api/me", headers=_bearer(patient_token), timeout=10)  # noqa: E731
    assert me().status_code == 200 and me().status_code == 200  # the second process remembers it
    socket = socketio_client.Client()
    socket.connect(second.url, auth={"token": patient_token}, transports=["websocket"])
    try:
        logout = requests.post(f"{first.url}/api/auth/logout", headers=_bearer(patient_token), timeout=10)
        assert logout.status_code == 204
        # well inside the remembered bound (TTL_SECONDS): the word came over the queue
        assert _until(lambda: me().status_code == 401, timeout=session_cache.TTL_SECONDS / 2) is not None
        assert _until(lambda: not socket.connected, timeout=5) is not None
    finally:
        socket.disconnect()


@pytest.mark.redis
@pytest.mark.live
def test_a_role_change_in_one_process_empties_the_rooms_in_the_other(two_servers):
    first, second = two_servers
    cid, patient_token, doctor_token = _accepted_consultation(first)
    admin_token = first.login(ADMIN)
    me = requests.get(f"{first.url}/api/me", headers=_bearer(doctor_token), timeout=10).json()
    doctor, patient = socketio_client.Client(), socketio_client.Client()
    left, heard = [], []
    doctor.on("room.left", left.append)
    doctor.on("message", heard.append)
    try:
        doctor.connect(second.url, auth={"token": doctor_token}, transports=["websocket"])
        patient.connect(first.url, auth={"token": patient_token}, transports=["websocket"])
        room = f"consultation:{cid}"
        assert doctor.call("join", {"room": room}, timeout=10)["ok"]
        assert patient.call("join", {"room": room}, timeout=10)["ok"]
        changed = requests.patch(
            f"{first.url}/api/staff/{me['id']}", json={"role": "dispatcher"}, headers=_bearer(admin_token), timeout=10
        )
        assert changed.status_code == 200
        assert _until(lambda: left, timeout=5) is not None and left[0]["room"] == room
        sent = {"consultation_id": cid, "text": "角色变了", "client_id": "x-role"}
        assert patient.call("message", sent, timeout=10)["ok"]
        time.sleep(0.5)  # what would have been relayed has arrived by now
        assert heard == []
        queue = requests.get(f"{second.url}/api/consultations/queue", headers=_bearer(doctor_token), timeout=10)
        assert queue.status_code == 403
    finally:
        doctor.disconnect(), patient.disconnect()
