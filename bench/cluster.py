"""Many processes: the REST read mix and the chat through nginx (scripts/run-cluster.sh) with one
and with two app processes on PostgreSQL, Redis as the Socket.IO queue. CPU per operation is the
sum over the app processes (nginx's own CPU is reported apart); the bare /ping through the same
nginx is the REST baseline. With two processes a chat message usually crosses processes through
Redis (the patient's and the doctor's sockets land on different ones), so the chat's CPU per
message with 2 against 1 process is the cost of the Redis hop.

Needs PostgreSQL, Redis (TEST_POSTGRES_URL / TEST_REDIS_URL: run under scripts/with-services.sh)
and nginx; prints a comment line and nothing else when one is missing.

    .venv/bin/python bench/cluster.py [seconds-per-round] [rounds]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import socketio
from _common import (
    KEYS,
    ROOT,
    Load,
    build_postgres,
    cpu_seconds,
    drive,
    raw_get,
    report,
    workdir,
)
from _scenario import prepare
from rest_mix import mix, pay

PATIENTS = 20  # chat rooms (one consultation each), and the REST mix's users
CHAT_RATE = 100  # messages per second in all, spread over the patients


class Cluster:
    """scripts/run-cluster.sh in the background; its app and nginx process ids."""

    def __init__(self, database_url: str, processes: int, work):
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": os.environ["TEST_REDIS_URL"]}
        env |= {"CLUSTER_PORT": "0", "SEED": "0", "LOGIN_RATE_LIMIT": "100000 per minute"}
        env |= {"UPLOAD_FOLDER": str(work / "uploads"), **KEYS}
        self.log = (work / f"cluster{processes}.log").open("w+")
        self.process = subprocess.Popen(
            ["bash", "scripts/run-cluster.sh", str(processes)], cwd=ROOT, env=env, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self.log.seek(0)
            text = self.log.read()
            found = re.search(r"Cluster ready on (http://\S+) .*logs in (\S+)\)", text)
            if found:
                self.url, logs = found.group(1), found.group(2)
                self.port = int(self.url.rsplit(":", 1)[1])
                self.app_pids = [int(pid) for pid in re.findall(r"app process \d+: pid (\d+)", text)]
                self.nginx_pid = int(Path(logs, "nginx.pid").read_text())
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(f"the cluster did not start: {text}")

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.app_pids)

    def nginx_cpu(self) -> float:
        """nginx's master and its workers (the workers do the proxying)."""
        return sum(cpu_seconds(pid) for pid in [self.nginx_pid, *children(self.nginx_pid)])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def measured_on(cluster: Cluster, work) -> tuple[Load, float]:
    """Run `work`, adding the app processes' CPU; also returns nginx's CPU seconds."""
    app_before, nginx_before = cluster.cpu(), cluster.nginx_cpu()
    load = work()
    load.cpu = cluster.cpu() - app_before
    return load, cluster.nginx_cpu() - nginx_before


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def rest(cluster: Cluster, ready, seconds: float, rounds: int, processes: int) -> None:
    lists = mix(cluster.url, ready)
    connections = 8
    per_connection = [lists[n % len(lists)] for n in range(connections)]
    ping = [[raw_get("/ping")] for _ in range(connections)]
    drive(cluster.port, per_connection, 1.0)
    totals, nginx_cpu = {"ping": Load(), "mix": Load()}, 0.0
    for n in range(rounds):
        for name in ("ping", "mix") if n % 2 == 0 else ("mix", "ping"):
            lists_of = ping if name == "ping" else per_connection
            load, nginx = measured_on(cluster, lambda lists_of=lists_of: drive(cluster.port, lists_of, seconds))
            total = totals[name]
            total.ops, total.errors, total.seconds = (
                total.ops + load.ops,
                total.errors + load.errors,
                total.seconds + load.seconds,
            )
            total.cpu += load.cpu
            total.latencies += load.latencies
            nginx_cpu += nginx if name == "mix" else 0
    nginx_ms = round(1000 * nginx_cpu / max(totals["mix"].ops, 1), 3)
    report(
        f"REST read mix via nginx, {processes} process{'es' if processes > 1 else ''} (PostgreSQL)",
        totals["ping"],
        totals["mix"],
        "bare /ping via nginx",
        nginx_cpu_ms=nginx_ms,
    )


def chat(cluster: Cluster, ready, doctor_token: str, seconds: float, processes: int) -> None:
    """Every patient talks in his consultation; the doctor's socket (in every room) receives."""
    sent: dict[str, float] = {}
    latencies: list[float] = []
    doctor = socketio.Client()
    doctor.on("message", lambda data: _arrived(data, sent, latencies))
    doctor.connect(cluster.url, auth={"token": doctor_token}, transports=["websocket"], wait_timeout=10)
    clients = []
    for patient in ready:
        assert doctor.call("join", {"room": f"consultation:{patient.consultation_id}"}, timeout=10)["ok"]
        client = socketio.Client()
        client.connect(cluster.url, auth={"token": patient.token}, transports=["websocket"], wait_timeout=10)
        assert client.call("join", {"room": f"consultation:{patient.consultation_id}"}, timeout=10)["ok"]
        clients.append((client, patient.consultation_id))
    pause = len(clients) / CHAT_RATE
    stop = time.perf_counter() + seconds

    def talk(client, cid) -> None:
        n = 0
        while time.perf_counter() < stop:
            key = f"{cid}-{n}-{uuid.uuid4().hex[:6]}"
            sent[key] = time.perf_counter()
            client.emit("message", {"consultation_id": cid, "text": f"血压 13{n % 10}/8{n % 10}", "client_id": key})
            n += 1
            time.sleep(pause)

    def run() -> Load:
        threads = [threading.Thread(target=talk, args=pair) for pair in clients]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.perf_counter() + 10
        while len(latencies) < len(sent) and time.perf_counter() < deadline:
            time.sleep(0.05)
        load = Load(ops=len(latencies), errors=len(sent) - len(latencies), seconds=time.perf_counter() - started)
        load.latencies = list(latencies)
        return load

    try:
        load, nginx = measured_on(cluster, run)
    finally:
        for client, _ in clients:
            client.disconnect()
        doctor.disconnect()
    report(
        f"chat message stored + relayed via nginx, {processes} process{'es' if processes > 1 else ''} (PostgreSQL)",
        None,
        load,
        nginx_cpu_ms=round(1000 * nginx / max(load.ops, 1), 3),
        offered_per_s=CHAT_RATE,
    )


def _arrived(data: dict, sent: dict, latencies: list) -> None:
    started = sent.get(data.get("client_id") or "")
    if started is not None:
        latencies.append((time.perf_counter() - started) * 1000)


def main(seconds: float = 3.0, rounds: int = 4) -> None:
    if not (os.environ.get("TEST_POSTGRES_URL") and os.environ.get("TEST_REDIS_URL") and shutil.which("nginx")):
        print("# cluster: needs TEST_POSTGRES_URL, TEST_REDIS_URL (scripts/with-services.sh) and nginx", flush=True)
        return
    work = workdir()
    for processes in (1, 2):
        database = build_postgres()
        ready = prepare(database, PATIENTS, 500)
        doctor_token = token_of(database, "doc28")
        cluster = Cluster(database, processes, work)
        try:
            pay(cluster.url, ready[:4])
            rest(cluster, ready[:4], seconds, rounds, processes)
            chat(cluster, ready, doctor_token, seconds * 2, processes)
        finally:
            cluster.stop()


def token_of(database_url: str, username: str) -> str:
    """A bearer token issued in-process (no password hashing in the timed path)."""
    from app import create_app
    from core import accounts, sessions
    from core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **KEYS})
    with app.app_context():
        token = sessions.open_api_session(accounts.get_by_username(username)).token
        db.engine.dispose()
    return token


if __name__ == "__main__":
    main(*(float(arg) for arg in sys.argv[1:2]), *(int(arg) for arg in sys.argv[2:3]))
