"""What the bench scripts share: a demo database (SQLite file or a fresh PostgreSQL database), the
real server process (`python app.py`, gevent), its CPU time read from /proc, a small keep-alive
HTTP load generator, and the one-JSON-line-per-workload output that bench/run.py tabulates.

Figures are the server process's CPU per operation (user + system time from /proc/<pid>/stat over
the operations it served), which holds up when other work shares the machine; each workload runs
in rounds interleaved with its bare baseline on the same server, so both see the same conditions.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench@2026x"
# The server (tests.conftest.LiveServer) runs with the test keys: data written in-process must match.
KEYS = {"SECRET_KEY": "test-secret", "DATA_KEY": "test-data-key"}
TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- databases and servers


def build_sqlite(path: Path) -> str:
    """A demo database file built by the migrations and `flask seed-demo`; returns its URL."""
    url = f"sqlite:///{path}"
    _migrate_and_seed(url)
    return url


def build_postgres() -> str | None:
    """A fresh demo database on TEST_POSTGRES_URL's server (None when there is none)."""
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        return None
    import sqlalchemy as sa

    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = base.rsplit("/", 1)[0] + f"/{name}"
    _migrate_and_seed(url)
    return url


def _migrate_and_seed(url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD, **KEYS})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
        db.engine.dispose()


def start_server(database_url: str, work: Path, env: dict | None = None, name: str = "server"):
    """`python app.py` on a free loopback port (the suite's LiveServer), on `database_url`."""
    from tests.conftest import LiveServer

    environment = {"DATABASE_URL": database_url, "DEMO_PASSWORD": PASSWORD, "UPLOAD_FOLDER": str(work / "uploads")}
    environment |= {"LOGIN_RATE_LIMIT": "100000 per minute", **(env or {})}
    return LiveServer(Path(database_url.removeprefix("sqlite:///")), work / f"{name}.log", environment)


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="hospital-bench-"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def login(base: str, username: str) -> str:
    import requests

    response = requests.post(f"{base}/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


# ---------------------------------------------------------------- load generation


class Connection:
    """One kept-alive HTTP/1.1 connection with the request bytes prepared in advance: the client
    spends a few microseconds per request, so the server's cost is what is measured."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def request(self, raw: bytes) -> tuple[int, bytes]:
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, body

    def _read(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def raw_get(path: str, token: str | None = None, host: str = "127.0.0.1") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Accept: application/json\r\n\r\n".encode()


def raw_post(path: str, body: dict, token: str, extra: dict | None = None, host: str = "127.0.0.1") -> bytes:
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Host": host, "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    headers |= {"Content-Length": str(len(data)), **(extra or {})}
    head = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
    return f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + data


@dataclass
class Load:
    """What one timed round served."""

    ops: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)


def drive(
    port: int, requests_per_connection: Sequence[Sequence[bytes]], seconds: float, host="127.0.0.1", once=False
) -> Load:
    """Closed loop: each connection sends its requests in turn for `seconds` (or each of them once,
    with `once`); returns the count, errors (non-2xx) and latencies (ms)."""
    load = Load()
    lock = threading.Lock()
    # This process imported the app to build the database: unfrozen, a full collection walks it
    # all (150-250 ms here) and pauses every connection of the load meanwhile (see
    # bench/_chat_client.py, where it set the chat's p99).
    gc.collect()
    gc.freeze()
    stop = time.perf_counter() + seconds

    def run(requests: Sequence[bytes]) -> None:
        connection = Connection(host, port)
        latencies, errors, n = [], 0, 0
        try:
            while (n < len(requests)) if once else (time.perf_counter() < stop):
                raw = requests[n % len(requests)]
                n += 1
                started = time.perf_counter()
                try:
                    status, _ = connection.request(raw)
                except ConnectionError:  # the server or proxy ended a kept-alive connection
                    connection.close()
                    connection = Connection(host, port)
                    status, _ = connection.request(raw)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += status >= 300
        finally:
            connection.close()
            with lock:
                load.latencies += latencies
                load.errors += errors

    threads = [threading.Thread(target=run, args=(r,)) for r in requests_per_connection]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    load.ops = len(load.latencies)
    return load


def measured(pid: int, work: Callable[[], Load]) -> Load:
    """Run `work` and add the server's CPU time it took."""
    before = cpu_seconds(pid)
    load = work()
    load.cpu = cpu_seconds(pid) - before
    return load


def p99(latencies: list[float]) -> float:
    values = sorted(latencies)
    return values[min(len(values) - 1, int(0.99 * len(values)))] if values else 0.0


def interleave(rounds: int, baseline: Callable[[], Load], app: Callable[[], Load]) -> tuple[Load, Load]:
    """Alternate baseline and app rounds (so both see the same machine); sums of each."""
    totals = Load(), Load()
    for n in range(rounds):
        order = (0, 1) if n % 2 == 0 else (1, 0)
        for which in order:
            load = (baseline, app)[which]()
            total = totals[which]
            total.ops += load.ops
            total.errors += load.errors
            total.seconds += load.seconds
            total.cpu += load.cpu
            total.latencies += load.latencies
    return totals


# ---------------------------------------------------------------- output


def report(workload: str, baseline: Load | None, app: Load, baseline_name: str = "", **extra) -> dict:
    """Print the workload's JSON line (the protocol bench/run.py reads) and return it."""
    app_ms = 1000 * app.cpu / max(app.ops, 1)
    base_ms = 1000 * baseline.cpu / max(baseline.ops, 1) if baseline else None
    line = {
        "workload": workload,
        "baseline": baseline_name or None,
        "baseline_cpu_ms": round(base_ms, 3) if base_ms is not None else None,
        "app_cpu_ms": round(app_ms, 3),
        "ratio": round(app_ms / base_ms, 2) if base_ms else None,
        "ops_per_s": round(app.ops / app.seconds, 1) if app.seconds else None,
        "p99_ms": round(p99(app.latencies), 1),
        "ops": app.ops,
        "errors": app.errors,
        **extra,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line
