"""End-to-end timings against the real server process (gevent + Socket.IO) on loopback.

Builds a throw-away database (migrations + demo data), starts `python app.py`, registers
PATIENTS patients who each open a follow-up consultation with the on-call cardiologist, then:
1. chat: every patient sends MESSAGES messages; the doctor's socket (joined to every room) times
   each from send to receipt (stored first, then relayed) — p50 / p95 / p99 and messages/s;
2. orders: the doctor prescribes, the pharmacist approves, and every patient pays (self-pay)
   through POST /api/orders, first one after another, then all at once — p50 / p95 and orders/s.
Traffic stays on 127.0.0.1; the server stops at the end.

    .venv/bin/python bench/live_chat_and_orders.py [patients] [messages]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench@2026x"
PAUSE = float(__import__("os").environ.get("CHAT_PAUSE", "0.1"))  # seconds between one patient's messages
ADDRESS = {
    "recipient": "压测",
    "mobile": "13912345678",
    "province": "福建省",
    "city": "福州市",
    "district": "鼓楼区",
    "detail": "东街134号3号楼502室",
}


def build_database(path: Path) -> None:
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DEMO_PASSWORD": PASSWORD})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)


class Api:
    def __init__(self, base: str, username: str, password: str = PASSWORD):
        self.base, self.session = base, requests.Session()
        token = self.session.post(f"{base}/api/auth/login", json={"username": username, "password": password})
        self.token = token.json()["token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def __call__(self, method: str, path: str, **kwargs):
        response = self.session.request(method, self.base + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return f"p50 {statistics.median(values):.1f} ms · p95 {pick(0.95):.1f} ms · p99 {pick(0.99):.1f} ms"


def register_patients(base: str, count: int) -> list[Api]:
    from core.resident_id import check_digit

    patients = []
    for n in range(count):
        first17 = f"350102196{n % 10}0101{n:03d}"
        phone = f"1371{n:07d}"
        body = {"name": "压测患者", "id_number": first17 + check_digit(first17), "phone": phone, "password": PASSWORD}
        requests.post(f"{base}/api/auth/register", json=body, timeout=30).raise_for_status()
        patient = Api(base, phone)
        patient(
            "POST",
            "/api/diagnoses",
            json={
                "hospital_name": "省立医院",
                "diagnosis": "原发性高血压",
                "icd10": "I10",
                "diagnosed_on": "2024-05-01",
            },
        )
        patients.append(patient)
    return patients


def open_consultations(patients: list[Api], doctor: Api) -> list[int]:
    cardiology = next(d["id"] for d in patients[0]("GET", "/api/departments") if d["code"] == "CARD")
    ids = []
    for patient in patients:
        diagnosis = patient("GET", "/api/diagnoses")[0]["id"]
        consultation = patient(
            "POST",
            "/api/consultations",
            json={"department_id": cardiology, "diagnosis_id": diagnosis, "complaint": "续药"},
        )
        doctor("POST", f"/api/consultations/{consultation['id']}/accept", json={})
        ids.append(consultation["id"])
    return ids


def bench_chat(base: str, patients: list[Api], doctor: Api, ids: list[int], messages: int) -> None:
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = threading.Event()
    expected = len(patients) * messages
    listener = socketio.Client()

    def on_message(data):
        started = sent.get(data.get("client_id") or "")
        if started is not None:
            latencies.append((time.perf_counter() - started) * 1000)
            if len(latencies) >= expected:
                done.set()

    listener.on("message", on_message)
    listener.connect(base, auth={"token": doctor.token}, transports=["websocket"])
    for cid in ids:
        listener.call("join", {"room": f"consultation:{cid}"})
    clients = []
    for patient, cid in zip(patients, ids, strict=True):
        client = socketio.Client()
        client.connect(base, auth={"token": patient.token}, transports=["websocket"])
        client.call("join", {"room": f"consultation:{cid}"})
        clients.append((client, cid))

    def talk(client, cid):
        for n in range(messages):
            key = f"{cid}-{n}-{uuid.uuid4().hex[:6]}"
            sent[key] = time.perf_counter()
            client.emit("message", {"consultation_id": cid, "text": f"血压 13{n % 10}/8{n % 10}", "client_id": key})
            time.sleep(PAUSE)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(lambda pair: talk(*pair), clients))
    done.wait(60)
    elapsed = time.perf_counter() - started
    print(
        f"chat: {len(clients)} patients, {len(latencies)}/{expected} messages in {elapsed:.1f} s "
        f"({len(latencies) / elapsed:.0f} msg/s); send → doctor received: {percentiles(latencies)}"
    )
    for client, _ in clients:
        client.disconnect()
    listener.disconnect()


def bench_orders(base: str, patients: list[Api], doctor: Api, ids: list[int]) -> None:
    pharmacist = Api(base, "pharm01")
    prescriptions = []
    for cid in ids:
        rx = doctor(
            "POST",
            "/api/prescriptions",
            json={"consultation_id": cid, "items": [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}]},
        )
        doctor("POST", f"/api/prescriptions/{rx['id']}/sign", json={})
        pharmacist("POST", f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"})
        prescriptions.append(rx["id"])

    def pay(pair) -> float:
        patient, rx_id = pair
        started = time.perf_counter()
        patient(
            "POST",
            "/api/orders",
            json={"prescription_id": rx_id, "address": ADDRESS},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        return (time.perf_counter() - started) * 1000

    pairs = list(zip(patients, prescriptions, strict=True))
    half = len(pairs) // 2
    sequential = [pay(pair) for pair in pairs[:half]]
    print(f"orders one after another ({half}): {percentiles(sequential)}")
    started = time.perf_counter()
    with ThreadPoolExecutor(len(pairs) - half) as pool:
        concurrent = list(pool.map(pay, pairs[half:]))
    elapsed = time.perf_counter() - started
    print(
        f"orders all at once ({len(concurrent)}): {percentiles(concurrent)}; {len(concurrent) / elapsed:.1f} orders/s"
    )


def main(patient_count: int = 20, messages: int = 50) -> None:
    from tests.conftest import LiveServer  # the same server process the suite uses

    work = Path(tempfile.mkdtemp())
    build_database(work / "bench.db")
    server = LiveServer(work / "bench.db", work / "server.log", {"DEMO_PASSWORD": PASSWORD})
    try:
        doctor = Api(server.url, "doc28")  # cardiology, on call around the clock in the demo rota
        patients = register_patients(server.url, patient_count)
        ids = open_consultations(patients, doctor)
        bench_chat(server.url, patients, doctor, ids, messages)
        bench_orders(server.url, patients, doctor, ids)
    finally:
        server.stop()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
