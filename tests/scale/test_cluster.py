"""The cluster of scripts/run-cluster.sh: nginx in front of two app processes on PostgreSQL with
Redis as the Socket.IO queue. A patient and his doctor, pinned by nginx's sticky cookie to
different processes, chat (the message crosses processes through Redis), and the patient pays
for the prescription through the other process; the periodic tasks run in one process only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid

import pytest
import requests
import socketio

from core import tasks
from core.config import ROOT
from tests.conftest import DEMO_PASSWORD
from tests.consultations.test_sockets import DOCTOR, PATIENT

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]
ADDRESS = {
    "recipient": "王建国",
    "mobile": "13800000001",
    "province": "福建省",
    "city": "福州市",
    "district": "鼓楼区",
    "detail": "东街134号3号楼502室",
}


class Cluster:
    def __init__(self, url: str):
        self.url = url

    def node_of(self, cookie: str) -> str:
        response = requests.get(f"{self.url}/ping", cookies={"hospital_node": cookie}, timeout=10)
        return response.headers["X-Served-By"]

    def session(self, cookie: str, username: str) -> requests.Session:
        """A client that nginx keeps on one process (its sticky cookie), logged in by token."""
        session = requests.Session()
        session.cookies.set("hospital_node", cookie)
        body = {"username": username, "password": DEMO_PASSWORD}
        token = session.post(f"{self.url}/api/auth/login", json=body, timeout=10).json()["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        session.token = token
        return session


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    postgres, redis_url = os.environ.get("TEST_POSTGRES_URL"), os.environ.get("TEST_REDIS_URL")
    if not (postgres and redis_url):
        pytest.skip("TEST_POSTGRES_URL / TEST_REDIS_URL not set (scripts/with-services.sh starts them)")
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (make system-deps)")
    import sqlalchemy as sa

    name = f"cluster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    log = (tmp_path_factory.mktemp("cluster") / "cluster.log").open("w+")
    env = {
        **os.environ,
        "DATABASE_URL": postgres.rsplit("/", 1)[0] + f"/{name}",
        "REDIS_URL": redis_url,
        "CLUSTER_PORT": "0",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
    }
    process = subprocess.Popen(["bash", "scripts/run-cluster.sh", "2"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline, url = time.monotonic() + 180, None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
            log.seek(0)
            found = re.search(r"Cluster ready on (http://\S+)", log.read())
            url = found.group(1) if found else None
        log.seek(0)
        assert url, f"the cluster did not start: {log.read()}"
        yield Cluster(url), log
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def two_nodes(cluster: Cluster) -> tuple[str, str]:
    """Two sticky-cookie values that nginx sends to different processes."""
    first = "node-a"
    for n in range(50):
        other = f"node-{n}"
        if cluster.node_of(other) != cluster.node_of(first):
            return first, other
    raise AssertionError("every cookie went to one process")


def test_chat_and_pay_through_nginx_across_two_processes(cluster):
    cluster, log = cluster
    here, there = two_nodes(cluster)
    assert cluster.node_of(here) == cluster.node_of(here)  # sticky
    patient, doctor = cluster.session(here, PATIENT), cluster.session(there, DOCTOR)
    pharmacist = cluster.session(here, "pharm01")

    departments = patient.get(f"{cluster.url}/api/departments", timeout=10).json()
    card = next(d["id"] for d in departments if d["code"] == "CARD")
    diagnosis = patient.get(f"{cluster.url}/api/diagnoses", timeout=10).json()[0]["id"]
    body = {"department_id": card, "diagnosis_id": diagnosis, "complaint": "续药复诊"}
    cid = patient.post(f"{cluster.url}/api/consultations", json=body, timeout=10).json()["id"]
    assert doctor.post(f"{cluster.url}/api/consultations/{cid}/accept", json={}, timeout=10).status_code == 200

    # chat: the patient's socket on one process, the doctor's on the other
    received: list[dict] = []
    sockets = []
    for session, cookie in ((patient, here), (doctor, there)):
        client = socketio.Client(reconnection=False)
        client.connect(
            cluster.url,
            auth={"token": session.token},
            headers={"Cookie": f"hospital_node={cookie}"},
            transports=["websocket"],
            wait_timeout=10,
        )
        sockets.append(client)
    sockets[1].on("message", received.append)
    try:
        for client in sockets:
            assert client.call("join", {"room": f"consultation:{cid}"}, timeout=10)["ok"]
        sent = {"consultation_id": cid, "text": "经 nginx 到另一个进程", "client_id": "cluster-1"}
        assert sockets[0].call("message", sent, timeout=10)["ok"]
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["text"] for m in received] == ["经 nginx 到另一个进程"]
    finally:
        for client in sockets:
            client.disconnect()

    # pay: prescribed on one process, approved and paid with the e-voucher on the others
    items = [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}]
    rx = doctor.post(f"{cluster.url}/api/prescriptions", json={"consultation_id": cid, "items": items}, timeout=10)
    assert rx.status_code == 201, rx.text
    rx_id = rx.json()["id"]
    assert doctor.post(f"{cluster.url}/api/prescriptions/{rx_id}/sign", json={}, timeout=10).status_code == 200
    review = {"decision": "approve"}
    assert pharmacist.post(f"{cluster.url}/api/prescriptions/{rx_id}/review", json=review, timeout=10).ok
    payer = cluster.session(there, PATIENT)  # the patient's phone, on the other process
    voucher = payer.post(f"{cluster.url}/api/insurance/vouchers", timeout=10).json()["token"]
    order_body = {"prescription_id": rx_id, "address": ADDRESS, "voucher_token": voucher}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    order = payer.post(f"{cluster.url}/api/orders", json=order_body, headers=key, timeout=30)
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "paid"
    seen = patient.get(f"{cluster.url}/api/orders/{order.json()['id']}", timeout=10)
    assert seen.ok and seen.json()["status"] == "paid"
    log.seek(0)
    assert "(runs the periodic tasks)" in log.read()


def test_periodic_tasks_start_only_where_run_tasks_is_on(app, monkeypatch):
    started = []
    monkeypatch.setattr(tasks.socketio, "start_background_task", lambda *args: started.append(args))
    app.config["RUN_TASKS"] = False
    assert tasks.start(app) is False and started == []
    app.config["RUN_TASKS"] = True
    assert tasks.start(app) is True and len(started) == len(tasks._tasks)
