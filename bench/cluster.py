"""Many processes: the REST read mix and the chat through nginx (scripts/run-cluster.sh) with one
and with two app processes on PostgreSQL, Redis as the Socket.IO queue. CPU per operation is the
sum over the app processes (nginx's own CPU is reported apart); the bare /ping through the same
nginx is the REST baseline. The chat is bench/chat.py's load (200 sockets in 100 consultations,
300 messages/s offered, the lean client of bench/_chat_client.py in a process of its own) against
both clusters, which run side by side, in rounds interleaved between them. With two processes
about half of the messages cross processes through Redis (each socket lands on a random one), and
every process receives every event of the queue; the chat's CPU per message with 2 against 1
process (`redis_hop`, also the row's ratio) is the cost of the queue.

Needs PostgreSQL, Redis (TEST_POSTGRES_URL / TEST_REDIS_URL: run under scripts/with-services.sh)
and nginx; prints a comment line and nothing else when one is missing.

    .venv/bin/python bench/cluster.py [seconds-per-round] [rounds]
    (BENCH_CHAT_RATE=300, BENCH_CHAT_SECONDS=10, BENCH_CHAT_ROUNDS=2: the chat's rounds;
    BENCH_CLUSTER_REST=0 skips the REST mix)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

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
from _scenario import accepted_consultation, prepare
from rest_mix import mix, pay

PATIENTS = 20  # the REST mix's users; the chat's patients (CHAT_ROOMS consultations among them)
CHAT_ROOMS = 100  # as bench/chat.py: 200 sockets, a patient's and the doctor's in each consultation
CHAT_RATE = float(os.environ.get("BENCH_CHAT_RATE", "300"))  # messages per second in all, offered
CHAT_SECONDS = float(os.environ.get("BENCH_CHAT_SECONDS", "10"))
CHAT_ROUNDS = int(os.environ.get("BENCH_CHAT_ROUNDS", "2"))


class Cluster:
    """scripts/run-cluster.sh in the background; its app and nginx process ids."""

    def __init__(self, database_url: str, processes: int, work):
        # Its own Redis database, as two deployments sharing one Redis keep apart (presence, rate
        # limits, and the queue's channel, core.socket_queue.channel_for): the clusters' rooms have
        # the same names, and on one channel each would relay the other's messages.
        redis = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + f"/{processes}"
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis}
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


def chat(clusters: dict[int, Cluster], rooms: dict[int, list], seconds: float, rounds: int) -> None:
    """The chat load against every cluster, in interleaved rounds (bench/_chat_drive.py); one row
    per cluster, the larger ones with their CPU per message against one process's."""
    targets = [
        {
            "name": f"{processes}p",
            "url": cluster.url,
            "pids": cluster.app_pids,
            "nginx_pids": [cluster.nginx_pid, *children(cluster.nginx_pid)],
            "rooms": rooms[processes],
        }
        for processes, cluster in clusters.items()
    ]
    spec = {"seconds": seconds, "rate": CHAT_RATE, "rounds": rounds, "targets": targets}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "_chat_drive.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    sys.stderr.write(done.stderr[-4000:])
    results = {line["name"]: line for line in map(json.loads, done.stdout.splitlines()) if "name" in line}
    one = results.get("1p")
    for processes in clusters:
        result = results.get(f"{processes}p")
        if result is None:
            print(json.dumps({"workload": f"chat via nginx, {processes} processes: FAILED (exit {done.returncode})"}))
            continue
        hop = round(result["cpu_ms"] / one["cpu_ms"], 2) if one and processes > 1 else None
        busy = result["cpu_ms_less_idle"], one["cpu_ms_less_idle"] if one else None
        hop_less_idle = round(busy[0] / busy[1], 2) if hop and busy[1] and busy[1] > 0 else None
        line = {
            "workload": f"chat {int(CHAT_RATE)} msg/s offered via nginx, {processes} process"
            f"{'es' if processes > 1 else ''} ({2 * CHAT_ROOMS} sockets, {CHAT_ROOMS} rooms, PostgreSQL)",
            "baseline": "1 process via nginx" if hop else None,
            "baseline_cpu_ms": one["cpu_ms"] if hop else None,
            "app_cpu_ms": result["cpu_ms"],
            "ratio": hop,
            "redis_hop": hop,  # CPU per message with this many processes ÷ with one (≤ 1.3 wanted)
            # what the processes burn with no message flowing (timers, pings, the queue's listener),
            # and the hop without it: at a low rate a process's fixed cost weighs on every message
            "idle_cpu_ms_per_s": result["idle_cpu_ms_per_s"],
            "cpu_ms_less_idle": result["cpu_ms_less_idle"],
            "redis_hop_less_idle": hop_less_idle,
            "ops_per_s": result["ops_per_s"],
            "p99_ms": result["p99_ms"],
            "p50_ms": result["p50_ms"],
            "ops": result["done"],
            "errors": result["errors"],
            "lost": result["lost"],
            "nginx_cpu_ms": result["nginx_cpu_ms"],
            "offered_per_s": CHAT_RATE,
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)


def chat_rooms(database_url: str, ready, doctor_token: str, count: int = CHAT_ROOMS) -> list[list]:
    """`count` accepted consultations of the bench doctor among the prepared patients, set up
    in-process (the bench measures chat, not opening consultations): [id, patient token, doctor
    token] each."""
    from app import create_app
    from core.extensions import db
    from hospital.models.consultations import Consultation

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **KEYS})
    rooms = []
    with app.app_context():
        for n in range(count):
            patient = ready[n % len(ready)]
            first = db.session.get(Consultation, patient.consultation_id)
            consultation = accepted_consultation(
                first.patient_id, first.department_id, first.doctor_id, first.diagnosis_id
            )
            db.session.add(consultation)
            db.session.flush()
            rooms.append([consultation.id, patient.token, doctor_token])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return rooms


def main(seconds: float = 3.0, rounds: int = 4) -> None:
    if not (os.environ.get("TEST_POSTGRES_URL") and os.environ.get("TEST_REDIS_URL") and shutil.which("nginx")):
        print("# cluster: needs TEST_POSTGRES_URL, TEST_REDIS_URL (scripts/with-services.sh) and nginx", flush=True)
        return
    work = workdir()
    clusters: dict[int, Cluster] = {}
    ready_of, rooms = {}, {}
    try:
        for processes in (1, 2):  # both run side by side, each on its own database
            database = build_postgres()
            ready_of[processes] = prepare(database, PATIENTS, 500)
            rooms[processes] = chat_rooms(database, ready_of[processes], token_of(database, "doc28"))
            clusters[processes] = Cluster(database, processes, work)
        if os.environ.get("BENCH_CLUSTER_REST", "1") != "0":
            for processes, cluster in clusters.items():
                ready = ready_of[processes]
                pay(cluster.url, ready[:4])
                rest(cluster, ready[:4], seconds, rounds, processes)
        chat(clusters, rooms, CHAT_SECONDS, CHAT_ROUNDS)
    finally:
        for cluster in clusters.values():
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
