"""Chat bench: the app's stored-and-relayed message against a bare Flask-SocketIO relay.

Both servers run as their own gevent processes on loopback and see the same clients
(bench/_chat_client.py): 200 sockets in 100 consultations (a patient's and the doctor's socket in
each), messages both ways. For each server it measures the server process's CPU per message
(/proc/<pid>/stat before and after: robust on a busy machine), at a fixed rate and at capacity,
and the latency from send to the other socket's receipt. Baseline and app runs are interleaved.
It runs on SQLite, and on PostgreSQL as well when TEST_POSTGRES_URL is set (scripts/with-services.sh,
as `make bench` does): a fresh database on that server.

Prints one JSON line per workload:
    {"workload": ..., "baseline_cpu_ms": x, "app_cpu_ms": y, "ratio": y/x, "ops_per_s": n, "p99_ms": m}

    .venv/bin/python bench/chat.py [--seconds 15] [--rate 300] [--rounds 1] [--postgres URL | --sqlite]

BENCH_TRACE=1 runs the app under bench/_traced_app.py, which writes where a message's time went
(socket event, pool wait, the store's round trip, event-loop lag, GC pauses, run-queue wait,
PostgreSQL's CPU) to <work>/<tag>.trace.json; BENCH_APP_ROOT=/work/main times main's app.py.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _chat_client import ChatLoad, cpu_ms  # noqa: E402
from _scenario import accepted_consultation  # noqa: E402

PASSWORD = "Bench@2026x"
ROOMS = int(os.environ.get("BENCH_ROOMS", "100"))
DOCTOR = "doc28"  # cardiology, on call around the clock in the demo rota


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_postgres(base: str) -> str:
    """An empty database on the PostgreSQL server of `base` (a URL); returns its URL."""
    import uuid

    import sqlalchemy as sa

    name = f"bench_chat_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def build_database(url: str) -> list[tuple[int, str]]:
    """Migrations, demo data and ROOMS accepted consultations of the doctor: (id, patient username)."""
    from flask_migrate import upgrade

    from app import create_app
    from core.extensions import db
    from core.models import Role, User
    from hospital.models.patients import ConfirmedDiagnosis
    from hospital.services import network

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
        doctor = network.doctor_for_user(db.session.execute(db.select(User).filter_by(username=DOCTOR)).scalar_one().id)
        with_diagnosis = (
            db.select(User, ConfirmedDiagnosis)
            .join(ConfirmedDiagnosis, ConfirmedDiagnosis.patient_id == User.id)
            .where(User.role == Role.PATIENT)
            .order_by(User.id)
        )
        patients = list({user.id: (user, dx) for user, dx in db.session.execute(with_diagnosis)}.values())[:10]
        rooms = []
        for n in range(ROOMS):  # set up directly: the bench measures chat, not the shift's capacity
            patient, diagnosis = patients[n % len(patients)]
            consultation = accepted_consultation(patient.id, doctor.department_id, doctor.id, diagnosis.id)
            db.session.add(consultation)
            db.session.flush()
            rooms.append((consultation.id, patient.username))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return rooms


class Server:
    """A server process on a free loopback port."""

    def __init__(self, argv: list[str], env: dict, log: Path, ready_path: str):
        self.traced = "BENCH_TRACE" in env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        environment = {**os.environ, "PORT": str(self.port), "HOST": "127.0.0.1", **env}
        self.process = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
            try:
                requests.get(self.url + ready_path, timeout=5)
                return
            except requests.RequestException:  # not listening yet, or slow to answer its first request
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def measure(server: Server, rooms, seconds: float, rate: float | None, tag: str) -> dict:
    load = ChatLoad(server.url, rooms)
    progress(f"{tag}: connecting {2 * len(rooms)} sockets")
    load.connect()
    progress(f"{tag}: sending")
    try:
        load.run(min(3.0, seconds), rate or 100, f"{tag}-warm")  # warm caches and connections
        if server.traced:
            os.kill(server.process.pid, signal.SIGUSR1)  # count from here (bench/_traced_app.py)
        before = cpu_ms(server.process.pid)
        profiler = _profile(server, seconds, tag)
        result = load.run(seconds, rate, tag)
        if profiler is not None:
            profiler.wait()
        used = cpu_ms(server.process.pid) - before
    finally:
        load.close()
    result["cpu_ms"] = used / max(1, result["done"])
    progress(f"{tag}: {result}")
    result["errors"] = len(load.errors)
    return result


def _profile(server: Server, seconds: float, tag: str):
    """With BENCH_PROFILE=<dir>: py-spy samples the app server during the run (collapsed stacks)."""
    folder = os.environ.get("BENCH_PROFILE")
    if not folder or not tag.startswith("a"):
        return None
    out = Path(folder) / f"{tag}.txt"
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")  # the venv's, off PATH
    argv = [spy, "record", "-p", str(server.process.pid), "-d", str(int(seconds)), "-r", "100"]
    return subprocess.Popen(
        [*argv, "--format", "raw", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )


def _app_argv(work: Path, tag: str, env: dict) -> list[str]:
    """app.py; with BENCH_TRACE=1, bench/_traced_app.py, which writes its timings to <work>/<tag>.trace.json."""
    env.pop("BENCH_TRACE", None)
    if not os.environ.get("BENCH_TRACE"):
        return ["app.py"]
    env["BENCH_TRACE"] = str(work / f"{tag}.trace.json")
    return ["bench/_traced_app.py"]


def app_rooms(server: Server, rooms: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    def login(username: str) -> str:
        answer = requests.post(
            server.url + "/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
        )
        answer.raise_for_status()
        return answer.json()["token"]

    tokens = {username: login(username) for username in {u for _cid, u in rooms} | {DOCTOR}}
    return [(cid, tokens[username], tokens[DOCTOR]) for cid, username in rooms]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", help="a PostgreSQL database URL to use instead of SQLite (emptied)")
    parser.add_argument("--sqlite", action="store_true", help="SQLite only, even when TEST_POSTGRES_URL is set")
    parser.add_argument("--no-capacity", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    if args.postgres:
        databases = [("postgresql", args.postgres)]
    else:
        databases = [("sqlite", f"sqlite:///{work / 'bench.db'}")]
        if os.environ.get("TEST_POSTGRES_URL") and not args.sqlite:
            databases.append(("postgresql", fresh_postgres(os.environ["TEST_POSTGRES_URL"])))
    for database, url in databases:
        bench(database, url, work, args)


def bench(database: str, url: str, work: Path, args) -> None:
    """The rate and capacity workloads on one database, each interleaved with the bare relay."""
    rooms = build_database(url)
    app_env = {
        "DATABASE_URL": url,
        "DEMO_PASSWORD": PASSWORD,
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "SECRET_KEY": "bench-secret-key-0123456789abcdef",
    }
    workloads = [("rate", args.rate)] + ([] if args.no_capacity else [("capacity", None)])
    totals: dict[str, dict[str, list[dict]]] = {name: {"bare": [], "app": []} for name, _ in workloads}
    for round_ in range(args.rounds):
        for name, rate in workloads:
            bare = Server([sys.executable, "bench/bare_relay.py"], {}, work / "bare.log", "/ping")
            try:
                bare_rooms = [(cid, "bench", "bench") for cid, _u in rooms]
                totals[name]["bare"].append(measure(bare, bare_rooms, args.seconds, rate, f"b{round_}{name}"))
            finally:
                bare.stop()
            tag = f"a{round_}{name}{database[:2]}"
            app = Server([sys.executable, *_app_argv(work, tag, app_env)], app_env, work / "app.log", "/api/hospitals")
            try:
                totals[name]["app"].append(measure(app, app_rooms(app, rooms), args.seconds, rate, tag))
            finally:
                app.stop()
    for name, rate in workloads:
        bare, app = totals[name]["bare"], totals[name]["app"]
        baseline_cpu = sum(r["cpu_ms"] for r in bare) / len(bare)
        app_cpu = sum(r["cpu_ms"] for r in app) / len(app)
        label = f"chat {int(rate)} msg/s offered" if rate else "chat capacity"
        line = {
            "workload": f"{label} ({2 * ROOMS} sockets, {ROOMS} rooms, {database})",
            "baseline": "bare relay",
            "baseline_cpu_ms": round(baseline_cpu, 3),
            "app_cpu_ms": round(app_cpu, 3),
            "ratio": round(app_cpu / baseline_cpu, 2),
            "ops_per_s": round(sum(r["ops_per_s"] for r in app) / len(app), 1),
            "p99_ms": round(max(r["p99_ms"] for r in app), 1),
            "baseline_ops_per_s": round(sum(r["ops_per_s"] for r in bare) / len(bare), 1),
            "baseline_p99_ms": round(max(r["p99_ms"] for r in bare), 1),
            "errors": sum(r["errors"] for r in app),
            "lost": sum(r["lost"] for r in app),
            # What the machine did to both runs: the CPU time the hypervisor stole during them and
            # the worst stall of the client's own loop (a stall delays every message in flight).
            "steal_ms": round(sum(r["steal_ms"] for r in app), 1),
            "baseline_steal_ms": round(sum(r["steal_ms"] for r in bare), 1),
            "client_stall_max_ms": max(r["client_stall_max_ms"] for r in app),
            "baseline_client_stall_max_ms": max(r["client_stall_max_ms"] for r in bare),
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
