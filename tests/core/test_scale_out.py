"""Scale-out: two server processes share Redis as the Socket.IO message queue, so a chat
message sent through one reaches a client connected to the other (DESIGN §2)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import LiveServer, _copy_db
from tests.consultations.test_sockets import Chat, _accepted_consultation

pytestmark = [pytest.mark.redis, pytest.mark.live]


@pytest.fixture
def two_servers(demo_template_db, tmp_path):
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set (make test starts Redis on loopback when installed)")
    database = _copy_db(demo_template_db, tmp_path / "shared.db")
    env = {"SOCKETIO_MESSAGE_QUEUE": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
    servers = [LiveServer(database, tmp_path / f"server{n}.log", env) for n in (1, 2)]
    yield servers
    for server in servers:
        server.stop()


def test_a_message_crosses_processes_through_redis(two_servers):
    first, second = two_servers
    cid, patient_token, doctor_token = _accepted_consultation(first)
    patient, doctor = Chat(first.url, patient_token), Chat(second.url, doctor_token)
    try:
        assert patient.join(cid)["ok"] and doctor.join(cid)["ok"]
        assert patient.send(cid, "经另一台服务器送达", "scale-1")["ok"]
        assert [m["text"] for m in doctor.wait_for(1, timeout=10)] == ["经另一台服务器送达"]
        # and back: the doctor's answer, sent to the second process, reaches the first
        assert doctor.send(cid, "收到", "scale-2")["ok"]
        assert "收到" in [m["text"] for m in patient.wait_for(2, timeout=10)]
    finally:
        patient.client.disconnect()
        doctor.client.disconnect()


def test_expert_room_presence_and_signals_span_processes(two_servers):
    import time

    import requests
    import socketio

    first, second = two_servers
    token = first.login("exp01")
    cases = requests.get(f"{first.url}/api/expert-cases", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    case_id = next(c["id"] for c in cases.json() if c["status"] == "in_session")
    room = f"case:{case_id}"
    leader, expert = socketio.Client(), socketio.Client()
    signals: list[dict] = []
    leader.on("signal", signals.append)
    try:
        leader.connect(first.url, auth={"token": token}, transports=["websocket"])
        assert leader.call("join", {"room": room}, timeout=10)["ok"]
        expert.connect(second.url, auth={"token": second.login("exp02")}, transports=["websocket"])
        ack = expert.call("join", {"room": room}, timeout=10)
        leader_sid = next(p["sid"] for p in ack["peers"] if p["name"] == "严华生")  # seen on the other process
        sent = expert.call(
            "signal", {"room": room, "to": leader_sid, "kind": "offer", "data": {"sdp": "x"}}, timeout=10
        )
        assert sent["ok"], sent
        deadline = time.monotonic() + 10
        while not signals and time.monotonic() < deadline:
            time.sleep(0.05)
        assert signals and signals[0]["kind"] == "offer" and signals[0]["data"] == {"sdp": "x"}
    finally:
        leader.disconnect()
        expert.disconnect()
