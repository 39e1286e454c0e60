"""REST: an authenticated, read-heavy mix against one server process, beside the bare `/ping` on
the same gevent server (core.serving), in interleaved rounds; prints one JSON line (bench/run.py).

The mix is what a patient's and a doctor's pages ask for: who am I, my consultations and one of
them with its messages, my prescriptions and one of them, my orders, my notifications, the doctors
on duty, a drug search; and the doctor's queue and consultation list. Bearer tokens of the demo
users, several connections kept alive (as browsers and nginx keep them).

    .venv/bin/python bench/rest_mix.py [seconds-per-round] [rounds] [connections]
"""

from __future__ import annotations

import sys

import requests
from _common import build_sqlite, drive, interleave, login, measured, raw_get, report, start_server, workdir
from _scenario import ADDRESS, prepare

PATIENTS = 4
DOCTOR = "doc28"


def paid_patients(database_url: str, base_serial: int = 900):
    """Patients with a consultation, an approved prescription and a paid order (setup, not timed)."""
    ready = prepare(database_url, PATIENTS, base_serial)
    return ready


def pay(base: str, ready) -> None:
    for patient in ready:
        headers = {"Authorization": f"Bearer {patient.token}", "Idempotency-Key": f"mix-{patient.prescription_id}"}
        body = {"prescription_id": patient.prescription_id, "address": ADDRESS}
        requests.post(f"{base}/api/orders", json=body, headers=headers, timeout=30).raise_for_status()


def patient_requests(base: str, token: str) -> list[bytes]:
    headers = {"Authorization": f"Bearer {token}"}
    get = lambda path: requests.get(base + path, headers=headers, timeout=30).json()  # noqa: E731
    paths = ["/api/me", "/api/consultations", "/api/prescriptions", "/api/orders", "/api/notifications"]
    paths.append("/api/departments")
    consultations = get("/api/consultations")
    if consultations:
        cid, department = consultations[0]["id"], consultations[0]["department_id"]
        paths += [f"/api/consultations/{cid}", f"/api/consultations/{cid}/messages"]
        # the doctors on duty in his department, as the new-consultation page asks for them
        paths.append(f"/api/doctors?department={department}&on_duty=true")
    prescriptions = get("/api/prescriptions")
    if prescriptions:
        paths.append(f"/api/prescriptions/{prescriptions[0]['id']}")
    return [raw_get(path, token) for path in paths]


def doctor_requests(base: str) -> list[bytes]:
    token = login(base, DOCTOR)
    paths = ["/api/me", "/api/consultations/queue", "/api/consultations", "/api/prescriptions", "/api/notifications"]
    paths.append("/api/drugs?q=aml&limit=10")
    return [raw_get(path, token) for path in paths]


def mix(base: str, ready) -> list[list[bytes]]:
    """One request list per user: the patients and a doctor."""
    return [patient_requests(base, patient.token) for patient in ready] + [doctor_requests(base)]


def run(server, ready, workload: str, seconds: float, rounds: int, connections: int, port: int | None = None) -> dict:
    """Interleave the bare /ping and the mix on `server` (or through `port`, e.g. nginx's)."""
    port = port or server.port
    lists = mix(server.url, ready)
    per_connection = [lists[n % len(lists)] for n in range(connections)]
    ping = [[raw_get("/ping")] for _ in range(connections)]
    pid = server.process.pid
    drive(port, per_connection, 1.0)  # warm up: first-request work, caches, connection pools
    baseline, app = interleave(
        rounds,
        lambda: measured(pid, lambda: drive(port, ping, seconds)),
        lambda: measured(pid, lambda: drive(port, per_connection, seconds)),
    )
    return report(workload, baseline, app, "bare /ping", requests_in_mix=sum(map(len, lists)))


def main(seconds: float = 3.0, rounds: int = 4, connections: int = 8) -> None:
    work = workdir()
    database = build_sqlite(work / "bench.db")
    ready = paid_patients(database)
    server = start_server(database, work)
    try:
        pay(server.url, ready)
        run(server, ready, "REST read mix (SQLite, 1 process)", seconds, rounds, connections)
    finally:
        server.stop()


if __name__ == "__main__":
    main(*(float(arg) for arg in sys.argv[1:2]), *(int(arg) for arg in sys.argv[2:4]))
