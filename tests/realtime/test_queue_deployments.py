"""Two deployments on one Redis, told apart by its database number (as their presence and rate
limits already were), do not hear each other's chat: Redis's pub/sub ignores the database number,
so the Socket.IO queue's channel is named after it (core.socket_queue.channel_for). Both
deployments here hold a consultation of the same id, hence a room of the same name."""

from __future__ import annotations

import os
import time

import pytest
import socketio as socketio_client

from core import socket_queue
from tests.conftest import LiveServer, _copy_db
from tests.consultations.test_sockets import _accepted_consultation
from tests.realtime.test_access_at_once import _until


def _database(url: str, number: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{number}"


def test_the_channel_is_the_databases():
    assert socket_queue.channel_for("redis://127.0.0.1:6379/1") == "flask-socketio:db1"
    assert socket_queue.channel_for("redis://127.0.0.1:6379") == "flask-socketio"  # as before the change
    assert socket_queue.channel_for("redis://127.0.0.1:6379/0") == "flask-socketio"
    assert socket_queue.channel_for("redis://127.0.0.1:6379?db=2") == "flask-socketio:db2"


@pytest.fixture
def two_deployments(demo_template_db, tmp_path):
    """Each its own copy of the demo database and its own Redis database number."""
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set (scripts/with-services.sh starts Redis on loopback)")
    servers = []
    for number in (1, 2):
        queue = _database(redis_url, number)
        database = _copy_db(demo_template_db, tmp_path / f"deployment{number}.db")
        env = {"SOCKETIO_MESSAGE_QUEUE": queue, "RATELIMIT_STORAGE_URI": queue}
        servers.append(LiveServer(database, tmp_path / f"deployment{number}.log", env))
    yield servers
    for server in servers:
        server.stop()


def _listener(url: str, token: str, room: str) -> tuple[socketio_client.Client, list[str]]:
    """A real Socket.IO client in `room`, and the texts of the messages it hears."""
    heard: list[str] = []
    client = socketio_client.Client()
    client.on("message", lambda message: heard.append(message["text"]))
    client.connect(url, auth={"token": token}, transports=["websocket"])
    assert client.call("join", {"room": room}, timeout=10)["ok"]
    return client, heard


@pytest.mark.redis
@pytest.mark.live
def test_a_deployment_does_not_hear_anothers_room_of_the_same_name(two_deployments):
    first, second = two_deployments
    cid, patient_token, doctor_token = _accepted_consultation(first)
    other_cid, other_patient_token, _ = _accepted_consultation(second)
    assert other_cid == cid  # the same room name in both
    room = f"consultation:{cid}"
    clients = []
    try:
        sender, _ = _listener(first.url, patient_token, room)
        doctor, doctor_heard = _listener(first.url, doctor_token, room)
        bystander, bystander_heard = _listener(second.url, other_patient_token, room)
        clients += [sender, doctor, bystander]
        sent = {"consultation_id": cid, "text": "只给本院", "client_id": "deployment-1"}
        assert sender.call("message", sent, timeout=10)["ok"]
        assert _until(lambda: "只给本院" in doctor_heard, timeout=5) is not None
        time.sleep(0.5)  # what would have crossed has arrived by now
        assert bystander_heard == []
    finally:
        for client in clients:
            client.disconnect()
