"""The consultation room hears of its prescription: signed by the doctor, then reviewed; only the
consultation's patient (and doctor) receive it, with the real python-socketio client."""

from __future__ import annotations

import threading

import pytest
import requests
import socketio

from tests.prescriptions.test_browser import _accepted_consultation

pytestmark = pytest.mark.live

PATIENT, DOCTOR, PHARMACIST, OTHER_PATIENT = "13800000001", "doc01", "pharm01", "13800000003"


class Listener:
    """A socket client that keeps every `consultation.prescription` event it receives."""

    def __init__(self, url: str, token: str):
        self.client = socketio.Client(reconnection=False)
        self.events: list[dict] = []
        self.arrived = threading.Event()
        self.client.on("consultation.prescription", self._on_event)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def _on_event(self, data: dict) -> None:
        self.events.append(data)
        self.arrived.set()

    def join(self, consultation_id: int) -> dict:
        return self.client.call("join", {"room": f"consultation:{consultation_id}"}, timeout=10)

    def next_event(self, timeout: float = 10) -> dict:
        assert self.arrived.wait(timeout), "no consultation.prescription event arrived"
        self.arrived.clear()
        return self.events[-1]


def sign_through_api(server, consultation_id: int) -> int:
    """The doctor writes amlodipine for the consultation and signs it; the prescription's id."""
    doctor = {"Authorization": f"Bearer {server.login(DOCTOR)}"}
    item = {"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}
    created = requests.post(
        server.url + "/api/prescriptions",
        json={"consultation_id": consultation_id, "items": [item]},
        headers=doctor,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    rx_id = created.json()["id"]
    signed = requests.post(f"{server.url}/api/prescriptions/{rx_id}/sign", json={}, headers=doctor, timeout=10)
    assert signed.status_code == 200, signed.text
    return rx_id


def review_through_api(server, rx_id: int, decision: str, reason: str = "") -> None:
    pharmacist = {"Authorization": f"Bearer {server.login(PHARMACIST)}"}
    body = {"decision": decision} | ({"reason": reason} if reason else {})
    answer = requests.post(f"{server.url}/api/prescriptions/{rx_id}/review", json=body, headers=pharmacist, timeout=10)
    assert answer.status_code == 200, answer.text


def test_the_patient_hears_the_signature_and_the_review_and_another_patient_does_not(live_server):
    consultation_id = _accepted_consultation(live_server.db_path)
    patient = Listener(live_server.url, live_server.login(PATIENT))
    other = Listener(live_server.url, live_server.login(OTHER_PATIENT))
    try:
        assert patient.join(consultation_id)["ok"]
        assert other.join(consultation_id)["ok"] is False  # room access as before
        rx_id = sign_through_api(live_server, consultation_id)
        event = patient.next_event()
        assert event["consultation_id"] == consultation_id
        assert event["prescription_id"] == rx_id and event["status"] == "signed"
        assert event["drug_names"] == ["苯磺酸氨氯地平片"]
        assert event["url"] == f"/prescriptions/{rx_id}"

        review_through_api(live_server, rx_id, "approve")
        assert patient.next_event()["status"] == "approved"
        assert not other.arrived.wait(1) and other.events == []
    finally:
        patient.client.disconnect()
        other.client.disconnect()


def test_the_panel_fragment_is_the_patients_own(live_server):
    """The page fetches the panel alone after the event; another patient gets a 404."""
    consultation_id = _accepted_consultation(live_server.db_path)
    rx_id = sign_through_api(live_server, consultation_id)
    path = f"{live_server.url}/consultations/{consultation_id}/prescription-panel"
    own = requests.get(path, headers={"Authorization": f"Bearer {live_server.login(PATIENT)}"}, timeout=10)
    other = requests.get(path, headers={"Authorization": f"Bearer {live_server.login(OTHER_PATIENT)}"}, timeout=10)
    assert own.status_code == 200 and f"/prescriptions/{rx_id}" in own.text
    assert other.status_code == 404
