"""Chat over Socket.IO with the real python-socketio client against the live gevent server."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio

PATIENT, DOCTOR, OUTSIDER = "13800000001", "doc28", "13800000003"  # doc28: cardiology, on call 24 h


class Chat:
    """A socket client that records every `message` it receives."""

    def __init__(self, url: str, token: str):
        self.client = socketio.Client(reconnection=False)
        self.received: list[dict] = []
        self.typing: list[dict] = []
        self.reads: list[dict] = []
        self.arrived = threading.Event()
        self.client.on("message", self._on_message)
        self.client.on("typing", self.typing.append)
        self.client.on("consultation.read", self.reads.append)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def _on_message(self, data):
        self.received.append(data)
        self.arrived.set()

    def join(self, cid: int, since: int | None = None) -> dict:
        data = {"room": f"consultation:{cid}"} | ({"since": since} if since is not None else {})
        return self.client.call("join", data, timeout=10)

    def send(self, cid: int, text: str, client_id: str) -> dict:
        return self.client.call("message", {"consultation_id": cid, "text": text, "client_id": client_id}, timeout=10)

    def wait_for(self, count: int, timeout: float = 5) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


def _accepted_consultation(server) -> tuple[int, str, str]:
    patient, doctor = server.login(PATIENT), server.login(DOCTOR)
    hdr = {"Authorization": f"Bearer {patient}"}
    departments = requests.get(server.url + "/api/departments", timeout=10).json()
    card = next(d["id"] for d in departments if d["code"] == "CARD")
    diagnosis = requests.get(server.url + "/api/diagnoses", headers=hdr, timeout=10).json()[0]["id"]
    created = requests.post(
        server.url + "/api/consultations",
        headers=hdr,
        timeout=10,
        json={"department_id": card, "diagnosis_id": diagnosis, "complaint": "续药复诊"},
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    accept = requests.post(
        f"{server.url}/api/consultations/{cid}/accept", timeout=10, headers={"Authorization": f"Bearer {doctor}"}
    )
    assert accept.status_code == 200, accept.text
    return cid, patient, doctor


@pytest.mark.live
def test_two_clients_chat_and_a_third_cannot_join_or_read(live_server):
    cid, patient_token, doctor_token = _accepted_consultation(live_server)
    patient, doctor = Chat(live_server.url, patient_token), Chat(live_server.url, doctor_token)
    outsider = Chat(live_server.url, live_server.login(OUTSIDER))
    try:
        assert patient.join(cid)["ok"] and doctor.join(cid)["ok"]
        refused = outsider.join(cid)
        assert refused["ok"] is False
        ack = patient.send(cid, "医生您好，血压最近130/85", "p-1")
        assert ack["ok"] and ack["message"]["seq"] >= 1
        texts = [m["text"] for m in doctor.wait_for(1)]
        assert "医生您好，血压最近130/85" in texts
        reply = doctor.send(cid, "好的，继续原方案", "d-1")
        assert reply["message"]["seq"] == ack["message"]["seq"] + 1
        assert "好的，继续原方案" in [m["text"] for m in patient.wait_for(2)]
        assert patient.send(cid, "医生您好，血压最近130/85", "p-1")["duplicate"] is True  # resend: no double
        patient.client.emit("typing", {"consultation_id": cid, "typing": True})
        assert patient.client.call("read", {"consultation_id": cid, "seq": reply["message"]["seq"]})["ok"]
        time.sleep(0.3)
        assert doctor.typing and doctor.typing[0]["user_id"] != doctor_token
        assert doctor.reads and doctor.reads[-1]["seq"] == reply["message"]["seq"]
        assert outsider.send(cid, "我也来", "o-1")["ok"] is False
        assert outsider.received == [] and outsider.typing == []
        listing = requests.get(
            f"{live_server.url}/api/consultations/{cid}/messages",
            timeout=10,
            headers={"Authorization": f"Bearer {live_server.login(OUTSIDER)}"},
        )
        assert listing.status_code == 404
        texts = [m["text"] for m in doctor.wait_for(2)]
        assert texts.count("医生您好，血压最近130/85") == 1
    finally:
        for chat in (patient, doctor, outsider):
            chat.client.disconnect()


@pytest.mark.live
def test_a_client_that_reconnects_gets_exactly_what_it_missed(live_server):
    cid, patient_token, doctor_token = _accepted_consultation(live_server)
    patient, doctor = Chat(live_server.url, patient_token), Chat(live_server.url, doctor_token)
    try:
        patient.join(cid), doctor.join(cid)
        seen = doctor.send(cid, "第一条", "d-0")["message"]["seq"]
        patient.wait_for(1)
        patient.client.disconnect()
        missed = [doctor.send(cid, f"离线消息{i}", f"d-{i + 1}")["message"]["seq"] for i in range(3)]
        back = Chat(live_server.url, patient_token)
        try:
            answer = back.join(cid, since=seen)
            assert answer["ok"]
            assert [m["seq"] for m in answer["messages"]] == missed
            assert [m["text"] for m in answer["messages"]] == ["离线消息0", "离线消息1", "离线消息2"]
            doctor.send(cid, "在线了吗", "d-9")
            assert [m["text"] for m in back.wait_for(1)] == ["在线了吗"]
        finally:
            back.client.disconnect()
    finally:
        doctor.client.disconnect()
        if patient.client.connected:
            patient.client.disconnect()
