"""The whole closed loop through the HTTP API and Socket.IO only, against the real server on the
demo data: consult → prescribe → review → pay with the voucher → dispense → deliver, with the
patient's notifications in order and a reconciliation without differences."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import socketio

from core import clock

pytestmark = [pytest.mark.live, pytest.mark.timeout(240)]

PATIENT, DOCTOR, PHARMACIST, DISPATCHER = "13800000001", "doc28", "pharm01", "disp01"
EXPECTED = [
    "order.paid",
    "order.dispensed",
    "delivery.assigned",
    "delivery.packed",
    "delivery.picked_up",
    "delivery.in_transit",
    "delivery.delivered",
]


class Api:
    def __init__(self, server, username):
        self.url, self.headers = server.url, {"Authorization": f"Bearer {server.login(username)}"}
        self.token = self.headers["Authorization"][7:]

    def __call__(self, method, path, expect=200, **kwargs):
        response = requests.request(
            method, self.url + path, headers={**self.headers, **kwargs.pop("headers", {})}, timeout=30, **kwargs
        )
        assert response.status_code == expect, (path, response.status_code, response.text[:500])
        return response.json() if response.content else None


def _listen(server, token):
    """A real Socket.IO client in the patient's personal room; keeps every event in order."""
    received, lock = [], threading.Lock()
    client = socketio.Client(reconnection=False)

    @client.on("*")
    def any_event(event, data):
        with lock:
            received.append((event, data))

    client.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    return client, received


def _wait_for(received, event, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(name == event for name, _ in received):
            return
        time.sleep(0.05)
    raise AssertionError(f"{event} not received; got {[n for n, _ in received]}")


def test_closed_loop(live_server):
    patient, doctor = Api(live_server, PATIENT), Api(live_server, DOCTOR)
    pharmacist, dispatcher = Api(live_server, PHARMACIST), Api(live_server, DISPATCHER)
    admin = Api(live_server, "admin")
    sio, received = _listen(live_server, patient.token)
    try:
        # 1. a follow-up consultation for his confirmed hypertension, with the cardiologist on call
        diagnoses = patient("GET", "/api/diagnoses")
        hypertension = next(d for d in diagnoses if d["icd10"] == "I10")
        departments = patient("GET", "/api/departments")
        card = next(d for d in departments if d["code"] == "CARD")
        consultation = patient(
            "POST",
            "/api/consultations",
            expect=201,
            json={"department_id": card["id"], "diagnosis_id": hypertension["id"], "complaint": "血压平稳，续开降压药"},
        )
        doctor("POST", f"/api/consultations/{consultation['id']}/accept", json={})
        # 2. the doctor prescribes and signs; 3. the pharmacist approves
        rx = doctor(
            "POST",
            "/api/prescriptions",
            expect=201,
            json={
                "consultation_id": consultation["id"],
                "items": [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}],
            },
        )
        doctor("POST", f"/api/prescriptions/{rx['id']}/sign", json={})
        pharmacist("POST", f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"})
        # 4. the patient pays with his e-voucher (once, however often the request is repeated)
        voucher = patient("POST", "/api/insurance/vouchers", expect=201, json={})
        body = {
            "prescription_id": rx["id"],
            "voucher_token": voucher["token"],
            "address": {
                "recipient": "王建国",
                "mobile": PATIENT,
                "province": "福建省",
                "city": "福州市",
                "district": "鼓楼区",
                "detail": "东街134号3号楼502室",
            },
        }
        key = uuid.uuid4().hex
        order = patient("POST", "/api/orders", expect=201, json=body, headers={"Idempotency-Key": key})
        assert (
            patient("POST", "/api/orders", expect=201, json=body, headers={"Idempotency-Key": key})["id"] == order["id"]
        )
        assert order["status"] == "paid" and order["pay_method"] == "voucher"
        # 5. the pharmacy dispenses; the verify endpoint shows it
        dispensed = pharmacist("POST", f"/api/orders/{order['id']}/dispense", json={})
        verify = requests.get(f"{live_server.url}/api/prescriptions/verify/{rx['code']}", timeout=10).json()
        assert verify.get("dispensed") is True or verify.get("status") == "dispensed", verify
        # 6. the dispatcher delivers
        delivery_id = dispensed["delivery"]["id"]
        couriers = dispatcher("GET", "/api/couriers")
        dispatcher("POST", f"/api/deliveries/{delivery_id}/courier", json={"courier_id": couriers[0]["id"]})
        for action in ("pack", "pick-up", "in-transit"):
            dispatcher("POST", f"/api/deliveries/{delivery_id}/{action}", json={})
        dispatcher("POST", f"/api/deliveries/{delivery_id}/deliver", json={"received_by": "王建国本人"})
        _wait_for(received, "delivery.delivered")
        # every notification, in order
        mine = [name for name, data in received if isinstance(data, dict) and data.get("order_id") == order["id"]]
        assert [n for n in mine if n in EXPECTED] == EXPECTED, mine
        final = patient("GET", f"/api/orders/{order['id']}")
        assert final["status"] == "delivered"
        # the reconciliation shows no difference
        report = admin("GET", f"/api/insurance/reconciliation?date={clock.today().isoformat()}")
        assert report["differences"] == [] and report["balanced"] is True, report
    finally:
        sio.disconnect()
