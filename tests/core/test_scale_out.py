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
